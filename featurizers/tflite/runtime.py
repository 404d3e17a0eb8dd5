"""TFLite runtime plumbing: model files, the interpreter (LiteRT or tflite-runtime), and the
``InferenceBackend`` protocol every accelerator plugin implements.

>>> resolve_model("package:featurizers.models/face_detection_short_range.tflite").endswith(".tflite")
True
>>> resolve_model("/nowhere/model.tflite")
Traceback (most recent call last):
...
featurizers.errors.ModelError: model file '/nowhere/model.tflite' not found; ...
"""

from __future__ import annotations

import importlib.resources
import os
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from featurizers.errors import BackendUnavailableError, ModelError
from featurizers.samples import VideoFrame

Tensor = npt.NDArray[Any]


class InferenceBackend(Protocol):
    """Runs one model: the CPU interpreter, an Edge TPU delegate, Hailo, or the AI Camera."""

    name: str
    input_shape: tuple[int, ...]

    def infer(self, tensor: Tensor, frame: VideoFrame | None = None) -> list[Tensor]:
        """Outputs (in the model's output order) for one preprocessed input tensor."""

    def stats(self) -> dict[str, Any]:
        """JSON-able: backend name, fallback reason, invokes."""


def resolve_model(spec: str) -> str:
    """A model path from a file path or ``package:PKG/FILE`` (a file shipped in a package)."""
    if spec.startswith("package:"):
        package, _, name = spec[len("package:"):].partition("/")
        try:
            path = str(importlib.resources.files(package).joinpath(name))
        except ModuleNotFoundError as err:
            raise ModelError(f"model {spec!r}: package {package!r} is not installed") from err
    else:
        path = os.path.expanduser(spec)
    if not os.path.isfile(path):
        raise ModelError(f"model file {path!r} not found; give a .tflite path or package:PKG/FILE")
    return path


def import_runtime() -> tuple[Any, Any, str]:
    """``(Interpreter, load_delegate, runtime name)`` from ai-edge-litert, else tflite-runtime."""
    try:
        from ai_edge_litert.interpreter import Interpreter, load_delegate

        return Interpreter, load_delegate, "ai-edge-litert"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter, load_delegate

        return Interpreter, load_delegate, "tflite-runtime"
    except ImportError as err:
        raise BackendUnavailableError(
            "no TFLite runtime: pip install ai-edge-litert (or tflite-runtime where it has wheels)") from err


class InterpreterBackend:
    """A TFLite interpreter, on the CPU or with a delegate (the Edge TPU plugin passes one)."""

    def __init__(self, model_path: str, *, threads: int = 1, delegates: list[Any] | None = None,
                 name: str | None = None, interpreter_factory: Any = None, fallback_reason: str | None = None) -> None:
        runtime = "injected"
        if interpreter_factory is None:
            interpreter_factory, _, runtime = import_runtime()
        try:
            kwargs: dict[str, Any] = {"model_path": model_path, "num_threads": threads}
            if delegates:
                kwargs["experimental_delegates"] = delegates
            self.interpreter = interpreter_factory(**kwargs)
            self.interpreter.allocate_tensors()
        except ValueError as err:
            raise ModelError(f"cannot load model {model_path!r}: {err}") from err
        self.name = name or f"cpu:{runtime}"
        self.fallback_reason = fallback_reason
        details = self.interpreter.get_input_details()[0]
        self._input_index = details["index"]
        self.input_shape = tuple(int(d) for d in details["shape"])
        self.input_dtype = np.dtype(details["dtype"])
        self._outputs = [d["index"] for d in self.interpreter.get_output_details()]
        self.invokes = 0

    def infer(self, tensor: Tensor, frame: VideoFrame | None = None) -> list[Tensor]:
        self.interpreter.set_tensor(self._input_index, tensor.astype(self.input_dtype, copy=False))
        self.interpreter.invoke()
        self.invokes += 1
        return [self.interpreter.get_tensor(i) for i in self._outputs]

    def stats(self) -> dict[str, Any]:
        return {"backend": self.name, "fallback_reason": self.fallback_reason, "invokes": self.invokes}
