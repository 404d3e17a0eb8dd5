"""Raspberry Pi AI Camera (IMX500): the network runs on the sensor; picamera2 hands its outputs
over in ``frame.meta["imx500_outputs"]`` (see :class:`featurizers.sources.picamera2.Picamera2Source`).

A frame without them (another camera, or the first frames while the network loads) runs on the CPU
interpreter instead, counted in ``stats()["cpu_frames"]``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from featurizers.samples import VideoFrame
from featurizers.tflite.runtime import InferenceBackend, Tensor

log = logging.getLogger("featurizers.tflite")


class Imx500Backend:
    """Reads on-sensor outputs from frames; falls back per frame to ``cpu``."""

    def __init__(self, cpu: InferenceBackend) -> None:
        self.name = "imx500"
        self._cpu = cpu
        self.input_shape = cpu.input_shape
        self.sensor_frames = 0
        self.cpu_frames = 0

    def infer(self, tensor: Tensor, frame: VideoFrame | None = None) -> list[Tensor]:
        outputs = frame.meta.get("imx500_outputs") if frame is not None else None
        if outputs is not None:
            self.sensor_frames += 1
            return [np.asarray(o) for o in outputs]
        if self.cpu_frames == 0:
            log.warning("imx500: frame has no on-sensor outputs (not an AI Camera source?); running on %s",
                        self._cpu.name)
        self.cpu_frames += 1
        return self._cpu.infer(tensor, frame)

    def stats(self) -> dict[str, Any]:
        return {"backend": self.name if self.cpu_frames == 0 else f"{self.name}+{self._cpu.name}",
                "fallback_reason": None if self.cpu_frames == 0 else "frames without IMX500 outputs",
                "sensor_frames": self.sensor_frames, "cpu_frames": self.cpu_frames}
