"""Hailo-8/8L (the Raspberry Pi AI Kit/HAT) through HailoRT's ``hailo_platform`` streams API.

Hailo runs a compiled ``.hef`` of the model (not the .tflite); its outputs must have the tflite
model's layout so the same decoder applies. The module is injected for contract tests.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from featurizers.errors import BackendUnavailableError
from featurizers.samples import VideoFrame
from featurizers.tflite.runtime import Tensor


def import_hailo() -> Any:
    try:
        return importlib.import_module("hailo_platform")
    except ImportError as err:
        raise BackendUnavailableError(f"HailoRT is not installed ({err}); on a Pi: apt install hailo-all") from err


class HailoBackend:
    """Keeps one configured network group and open virtual streams for the featurizer's lifetime."""

    def __init__(self, hef_path: str | None, hailo_module: Any = None) -> None:
        if not hef_path:
            raise BackendUnavailableError("Hailo backend needs hailo_hef: a .hef compiled from the model")
        hp = hailo_module or import_hailo()
        try:
            hef = hp.HEF(hef_path)
            self._device = hp.VDevice()
            params = hp.ConfigureParams.create_from_hef(hef, interface=hp.HailoStreamInterface.PCIe)
            self._group = self._device.configure(hef, params)[0]
            in_params = hp.InputVStreamParams.make(self._group, format_type=hp.FormatType.FLOAT32)
            out_params = hp.OutputVStreamParams.make(self._group, format_type=hp.FormatType.FLOAT32)
            info = hef.get_input_vstream_infos()[0]
            self._input_name = info.name
            self._output_names = [o.name for o in hef.get_output_vstream_infos()]
            self.input_shape = (1, *(int(d) for d in info.shape))
            self._streams = hp.InferVStreams(self._group, in_params, out_params)
            self._streams.__enter__()
            self._activation = self._group.activate(self._group.create_params())
            self._activation.__enter__()
        except Exception as err:  # HailoRT raises its own exception types; all mean "not usable"
            raise BackendUnavailableError(f"Hailo device or {hef_path!r} not usable ({type(err).__name__}: "
                                          f"{err})") from err
        self.name = "hailo"
        self.invokes = 0

    def infer(self, tensor: Tensor, frame: VideoFrame | None = None) -> list[Tensor]:
        results = self._streams.infer({self._input_name: np.ascontiguousarray(tensor, dtype=np.float32)})
        self.invokes += 1
        return [np.asarray(results[name]) for name in self._output_names]

    def close(self) -> None:
        self._activation.__exit__(None, None, None)
        self._streams.__exit__(None, None, None)

    def stats(self) -> dict[str, Any]:
        return {"backend": self.name, "fallback_reason": None, "invokes": self.invokes}
