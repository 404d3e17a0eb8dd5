"""A fake ``picamera2`` module (cameras, requests, IMX500) for contract tests and demos.

>>> from featurizers.config import Picamera2SourceConfig
>>> from featurizers.sources.picamera2 import Picamera2Source
>>> src = Picamera2Source(Picamera2SourceConfig(id="cam", width=64, height=48), picamera2_module=FakePicamera2Module())
>>> src.start()
>>> frame = src.read(timeout=5.0)
>>> src.stop()
>>> frame.image.shape, frame.image[0, 0].tolist()  # fake paints pure red in B,G,R memory order
((48, 64, 3), [255, 0, 0])
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import numpy.typing as npt


class FakeRequest:
    def __init__(self, array: npt.NDArray[np.uint8], metadata: dict[str, Any]) -> None:
        self._array, self._metadata = array, metadata
        self.released = False

    def make_array(self, name: str) -> npt.NDArray[np.uint8]:
        assert name == "main"
        return self._array

    def get_metadata(self) -> dict[str, Any]:
        return self._metadata

    def release(self) -> None:
        self.released = True


class FakeCamera:
    """Stands in for ``picamera2.Picamera2``; ``fail_open`` simulates a busy camera."""

    def __init__(self, module: FakePicamera2Module, index: int) -> None:
        if module.busy:
            raise RuntimeError("Failed to acquire camera: Device or resource busy")
        self._module, self.index = module, index
        self.size = (640, 480)
        self.started = False
        self._n = 0

    def create_video_configuration(self, main: dict[str, Any]) -> dict[str, Any]:
        return {"main": dict(main)}

    def configure(self, config: dict[str, Any]) -> None:
        self.size = tuple(config["main"].get("size", self.size))

    def start(self) -> None:
        self.started = True

    def capture_request(self) -> FakeRequest:
        threading.Event().wait(1.0 / self._module.fps)
        self._n += 1
        width, height = self.size
        bgr = np.zeros((height, width, 3), dtype=np.uint8)
        bgr[..., 2] = 255  # red, stored B,G,R like picamera2's RGB888
        return FakeRequest(bgr, {"SensorTimestamp": self._n, "CnnOutputTensor": self._module.tensor})

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        pass


class FakeIMX500:
    """Stands in for ``picamera2.devices.IMX500``: returns the module's ``imx500_outputs``."""

    def __init__(self, module: FakePicamera2Module, model: str) -> None:
        self.model, self.camera_num, self._module = model, 0, module

    def get_outputs(self, metadata: dict[str, Any], add_batch: bool = False) -> list[npt.NDArray[Any]] | None:
        outputs = self._module.imx500_outputs
        if outputs is None:
            return None
        return [o[None] if add_batch else o for o in outputs]


class _Devices:
    def __init__(self, module: FakePicamera2Module) -> None:
        self._module = module

    def IMX500(self, model: str) -> FakeIMX500:  # noqa: N802 (mirrors picamera2's class name)
        return FakeIMX500(self._module, model)


class FakePicamera2Module:
    """Injectable in place of the ``picamera2`` module."""

    def __init__(self, cameras: list[dict[str, Any]] | None = None, fps: float = 30.0) -> None:
        self.cameras = cameras if cameras is not None else [{"Model": "imx708", "Id": "fake0"}]
        self.fps = fps
        self.busy = False
        self.tensor: Any = None
        self.imx500_outputs: list[npt.NDArray[Any]] | None = None
        self.devices = _Devices(self)
        module = self

        class Picamera2(FakeCamera):
            def __init__(self, index: int = 0) -> None:
                super().__init__(module, index)

            @staticmethod
            def global_camera_info() -> list[dict[str, Any]]:
                return list(module.cameras)

        self.Picamera2 = Picamera2
