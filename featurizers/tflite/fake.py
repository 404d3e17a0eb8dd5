"""Fakes behind the inference protocols, shipped for contract tests and demos (like gpiozero's
MockFactory): a TFLite interpreter, an Edge TPU delegate loader, and a ``hailo_platform`` module.
Each returns BlazeFace-shaped outputs holding one face box placed by ``face`` (fractions of the input).

>>> it = FakeInterpreter(model_path="m.tflite", num_threads=1)
>>> it.allocate_tensors(); it.set_tensor(0, np.zeros((1, 128, 128, 3), np.float32)); it.invoke()
>>> [it.get_tensor(d["index"]).shape for d in it.get_output_details()]
[(1, 896, 16), (1, 896, 1)]
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt

from featurizers.tflite.blazeface import anchors

_ANCHORS = anchors(128, (8, 16, 16, 16))


def blazeface_outputs(face: tuple[float, float, float] | None, size: int = 128) -> list[npt.NDArray[np.float32]]:
    """Raw BlazeFace outputs with one face at centre ``(x, y)`` of side ``s`` (or none)."""
    boxes = np.zeros((1, len(_ANCHORS), 16), dtype=np.float32)
    scores = np.full((1, len(_ANCHORS), 1), -10.0, dtype=np.float32)
    if face is not None:
        x, y, s = face
        i = int(np.argmin(((_ANCHORS - (x, y)) ** 2).sum(axis=1)))
        boxes[0, i, :4] = ((x - _ANCHORS[i, 0]) * size, (y - _ANCHORS[i, 1]) * size, s * size, s * size)
        scores[0, i, 0] = 5.0
    return [boxes, scores]


class FakeInterpreter:
    """The LiteRT ``Interpreter`` API; ``face`` sets what every invoke finds."""

    face: tuple[float, float, float] | None = (0.5, 0.5, 0.25)

    def __init__(self, model_path: str, num_threads: int = 1, experimental_delegates: list[Any] | None = None) -> None:
        self.model_path, self.num_threads, self.delegates = model_path, num_threads, experimental_delegates or []
        self.invokes = 0
        self._input: npt.NDArray[Any] | None = None
        self._outputs: list[npt.NDArray[np.float32]] = []

    def allocate_tensors(self) -> None:
        pass

    def get_input_details(self) -> list[dict[str, Any]]:
        return [{"index": 0, "shape": np.array([1, 128, 128, 3]), "dtype": np.float32}]

    def get_output_details(self) -> list[dict[str, Any]]:
        return [{"index": 1, "shape": np.array([1, 896, 16])}, {"index": 2, "shape": np.array([1, 896, 1])}]

    def set_tensor(self, index: int, value: npt.NDArray[Any]) -> None:
        assert index == 0 and value.shape == (1, 128, 128, 3), value.shape
        self._input = value

    def invoke(self) -> None:
        self.invokes += 1
        self._outputs = blazeface_outputs(self.face)

    def get_tensor(self, index: int) -> npt.NDArray[np.float32]:
        return self._outputs[index - 1]


def failing_delegate_loader(error: type[Exception] = ValueError) -> Any:
    """A ``load_delegate`` that fails like a missing library (OSError) or absent TPU (ValueError)."""
    def load(library: str) -> Any:
        raise error(f"Failed to load delegate from {library}")
    return load


def working_delegate_loader(library: str) -> Any:
    """A ``load_delegate`` that succeeds (returns a token the fake interpreter keeps)."""
    return SimpleNamespace(library=library)


class FakeHailoModule:
    """The slice of ``hailo_platform`` :class:`~featurizers.tflite.hailo.HailoBackend` uses."""

    def __init__(self, face: tuple[float, float, float] | None = (0.5, 0.5, 0.25), fail: bool = False) -> None:
        self.face, self.fail = face, fail
        self.infers = 0
        module = self
        self.HailoStreamInterface = SimpleNamespace(PCIe="pcie")
        self.FormatType = SimpleNamespace(FLOAT32="float32")
        info = SimpleNamespace(name="input_layer1", shape=(128, 128, 3))
        outs = [SimpleNamespace(name="boxes"), SimpleNamespace(name="scores")]

        class HEF:
            def __init__(self, path: str) -> None:
                if module.fail:
                    raise RuntimeError("HAILO_OUT_OF_PHYSICAL_DEVICES")
                self.path = path

            def get_input_vstream_infos(self) -> list[Any]:
                return [info]

            def get_output_vstream_infos(self) -> list[Any]:
                return outs

        class _Context:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: Any) -> None:
                return None

        class Group:
            def create_params(self) -> dict[str, Any]:
                return {}

            def activate(self, params: Any) -> _Context:
                return _Context()

        class InferVStreams(_Context):
            def __init__(self, group: Any, in_params: Any, out_params: Any) -> None:
                pass

            def infer(self, data: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
                assert data["input_layer1"].shape == (1, 128, 128, 3)
                module.infers += 1
                boxes, scores = blazeface_outputs(module.face)
                return {"boxes": boxes, "scores": scores}

        self.HEF = HEF
        self.InferVStreams = InferVStreams
        self.VDevice = lambda: SimpleNamespace(configure=lambda hef, params: [Group()])
        self.ConfigureParams = SimpleNamespace(create_from_hef=lambda hef, interface: {})
        self.InputVStreamParams = SimpleNamespace(make=lambda group, format_type: {})
        self.OutputVStreamParams = SimpleNamespace(make=lambda group, format_type: {})
