"""Chooses the inference backend for a featurizer config, falling back to the CPU interpreter
with one clear log line when an accelerator cannot load."""

from __future__ import annotations

import logging
from typing import Any

from featurizers.config import FaceFeaturizerConfig
from featurizers.errors import BackendUnavailableError
from featurizers.tflite.edgetpu import edgetpu_backend
from featurizers.tflite.hailo import HailoBackend
from featurizers.tflite.imx500 import Imx500Backend
from featurizers.tflite.runtime import InferenceBackend, InterpreterBackend, resolve_model

log = logging.getLogger("featurizers.tflite")


def make_backend(config: FaceFeaturizerConfig, *, interpreter_factory: Any = None, load_delegate: Any = None,
                 hailo_module: Any = None) -> InferenceBackend:
    """The backend ``config.backend`` names, or the CPU interpreter when it cannot load."""
    model = resolve_model(config.model)

    def cpu(reason: str | None = None) -> InterpreterBackend:
        return InterpreterBackend(model, threads=config.threads, interpreter_factory=interpreter_factory,
                                  fallback_reason=reason)

    try:
        if config.backend == "edgetpu":
            return edgetpu_backend(model, config.edgetpu_library, threads=config.threads,
                                   load_delegate=load_delegate, interpreter_factory=interpreter_factory)
        if config.backend == "hailo":
            return HailoBackend(config.hailo_hef, hailo_module=hailo_module)
    except BackendUnavailableError as err:
        backend = cpu(str(err))
        log.warning("%s: %s backend unavailable, running on %s: %s", config.namespace, config.backend,
                    backend.name, err)
        return backend
    if config.backend == "imx500":
        return Imx500Backend(cpu())
    return cpu()
