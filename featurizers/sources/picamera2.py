"""A Raspberry Pi camera through picamera2/libcamera, imported lazily (only present on a Pi).

With ``imx500_model`` set (the Raspberry Pi AI Camera), the network runs on the sensor and its output
tensors ride along in ``frame.meta["imx500_outputs"]`` for the ``imx500`` inference backend.
The module is injected for contract tests (:mod:`featurizers.sources.fake_picamera2`).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from featurizers.config.sources import Kind, Picamera2SourceConfig
from featurizers.errors import BackendUnavailableError, CaptureError, DeviceNotFoundError
from featurizers.samples import VideoFrame
from featurizers.sources.base import ThreadedSource


def import_picamera2() -> Any:
    """The ``picamera2`` module, or a clear error (it exists only on Raspberry Pi OS)."""
    try:
        import picamera2
    except ImportError as err:
        raise BackendUnavailableError(
            f"picamera2 is not installed ({err}); on Raspberry Pi OS: apt install python3-picamera2 "
            "and create the venv with --system-site-packages") from err
    return picamera2


def list_cameras(module: Any) -> list[dict[str, Any]]:
    """libcamera cameras as ``{index, model, id}``."""
    return [{"index": i, "model": str(c.get("Model", "?")), "id": str(c.get("Id", ""))}
            for i, c in enumerate(module.Picamera2.global_camera_info())]


class Picamera2Source(ThreadedSource):
    """Live RGB frames (and IMX500 outputs) from a Pi camera."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "picamera2"

    def __init__(self, config: Picamera2SourceConfig, picamera2_module: Any = None) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds)
        self.config = config
        self._module = picamera2_module
        self._camera: Any = None
        self._imx500: Any = None

    def _open(self) -> None:
        module = self._module or import_picamera2()
        self._module = module
        cameras = list_cameras(module)
        if self.config.camera >= len(cameras):
            present = ", ".join(f"{c['index']}:{c['model']}" for c in cameras) or "(none)"
            raise DeviceNotFoundError(f"Pi camera {self.config.camera} not found; cameras present: {present}")
        index = self.config.camera
        if self.config.imx500_model:
            self._imx500 = module.devices.IMX500(self.config.imx500_model)
            index = self._imx500.camera_num
        try:
            self._camera = module.Picamera2(index)
        except RuntimeError as err:
            raise CaptureError(f"Pi camera {index} is busy or failed: {err}") from err
        main: dict[str, Any] = {"format": "RGB888"}
        if self.config.width and self.config.height:
            main["size"] = (self.config.width, self.config.height)
        self._camera.configure(self._camera.create_video_configuration(main=main))
        self._camera.start()

    def _stream(self) -> bool:
        while not self._stop.is_set():
            request = self._camera.capture_request()
            try:
                array = request.make_array("main")
                metadata = request.get_metadata()
            finally:
                request.release()
            meta: dict[str, Any] = {}
            if self._imx500 is not None:
                meta["imx500_outputs"] = self._imx500.get_outputs(metadata, add_batch=True)
            rgb = np.ascontiguousarray(array[..., 2::-1])  # picamera2 RGB888 is B,G,R in memory
            self._publish(VideoFrame(image=rgb, timestamp=time.time(), seq=self._next_seq(), meta=meta))
        return False

    def _close(self) -> None:
        camera, self._camera = self._camera, None
        if camera is not None:
            try:
                camera.stop()
                camera.close()
            except Exception:  # a camera that vanished cannot be closed cleanly
                pass
