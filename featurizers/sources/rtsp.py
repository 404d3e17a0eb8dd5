"""A network camera over RTSP, decoded with PyAV (FFmpeg). A dropped connection reconnects."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from featurizers.config.sources import Kind, RtspSourceConfig
from featurizers.errors import CaptureError
from featurizers.samples import VideoFrame
from featurizers.sources._pyav import import_av, to_rgb
from featurizers.sources.base import ThreadedSource


class RtspSource(ThreadedSource):
    """Live frames from an RTSP URL."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "rtsp"

    def __init__(self, config: RtspSourceConfig) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds)
        self.config = config
        self._container: Any = None

    def _open(self) -> None:
        c = self.config
        self._container = import_av().open(
            c.url, options={"rtsp_transport": c.transport, "timeout": str(int(c.timeout_seconds * 1e6))},
            timeout=c.timeout_seconds)

    def _stream(self) -> bool:
        c = self.config
        for frame in self._container.decode(video=0):
            if self._stop.is_set():
                return False
            self._publish(VideoFrame(image=to_rgb(frame, c.width, c.height), timestamp=time.time(),
                                     seq=self._next_seq()))
        raise CaptureError(f"RTSP stream {c.url!r} ended")

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
