"""A video file decoded with PyAV (FFmpeg), paced at its timestamps or read frame by frame."""

from __future__ import annotations

import os
import time
from typing import Any, ClassVar

from featurizers.config.sources import Kind, VideoFileSourceConfig
from featurizers.errors import DeviceNotFoundError
from featurizers.samples import VideoFrame
from featurizers.sources._pyav import import_av, paced, to_rgb
from featurizers.sources.base import ThreadedSource


class VideoFileSource(ThreadedSource):
    """Frames of a video file; ``loop`` restarts at the end, ``realtime=False`` drops nothing."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "video_file"

    def __init__(self, config: VideoFileSourceConfig) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds, lossless=not config.realtime)
        if not os.path.isfile(config.path):
            raise DeviceNotFoundError(f"video file {config.path!r} not found; check the path")
        self.config = config
        self._container: Any = None

    def _open(self) -> None:
        self._container = import_av().open(self.config.path)
        if not self._container.streams.video:
            raise DeviceNotFoundError(f"{self.config.path!r} has no video stream")
        self._container.streams.video[0].thread_type = "AUTO"

    def _stream(self) -> bool:
        c = self.config
        for frame in paced(self._container.decode(video=0), c.realtime, self._stop.is_set, self._stop.wait):
            self._publish(VideoFrame(image=to_rgb(frame, c.width, c.height), timestamp=time.time(),
                                     seq=self._next_seq()))
        return c.loop and not self._stop.is_set()

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
