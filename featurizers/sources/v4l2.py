"""A USB/V4L2 camera (``/dev/videoN``) through PyAV's video4linux2 input (FFmpeg).

An unplugged camera ends the decode loop with an error: the base class reports it and reopens the
device with backoff; a camera busy in another program fails ``_open`` the same way.
"""

from __future__ import annotations

import glob
import os
import time
from typing import Any, ClassVar

from featurizers.config.sources import Kind, V4l2SourceConfig
from featurizers.errors import CaptureError, DeviceNotFoundError
from featurizers.samples import VideoFrame
from featurizers.sources._pyav import import_av, to_rgb
from featurizers.sources.base import ThreadedSource


def video_nodes() -> list[str]:
    """``/dev/video*`` nodes present, sorted."""
    return sorted(glob.glob("/dev/video*"))


class V4l2Source(ThreadedSource):
    """Live frames from a V4L2 camera."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "v4l2"

    def __init__(self, config: V4l2SourceConfig, check_exists: bool = True) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds)
        if check_exists and not os.path.exists(config.device):
            raise DeviceNotFoundError(f"camera {config.device!r} not found; video devices present: "
                                      f"{', '.join(video_nodes()) or '(none)'}")
        self.config = config
        self._container: Any = None

    def options(self) -> dict[str, str]:
        """FFmpeg input options for the requested size, rate and pixel format."""
        c = self.config
        opts: dict[str, str] = {}
        if c.width and c.height:
            opts["video_size"] = f"{c.width}x{c.height}"
        if c.fps:
            opts["framerate"] = str(c.fps)
        if c.input_format:
            opts["input_format"] = c.input_format
        return opts

    def _open(self) -> None:
        try:
            self._container = import_av().open(self.config.device, format="video4linux2",
                                               options=self.options())
        except OSError as err:
            raise CaptureError(f"cannot open camera {self.config.device!r}: {err} "
                               "(busy in another program, or unplugged?)") from err

    def _stream(self) -> bool:
        for frame in self._container.decode(video=0):
            if self._stop.is_set():
                return False
            self._publish(VideoFrame(image=to_rgb(frame, None, None), timestamp=time.time(),
                                     seq=self._next_seq()))
        raise CaptureError(f"camera {self.config.device!r} stopped delivering frames")

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
