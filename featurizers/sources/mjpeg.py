"""A network camera serving MJPEG over HTTP (``multipart/x-mixed-replace``), JPEGs decoded by PyAV.

The multipart reader is plain stdlib (``urllib``): parts are read by ``Content-Length`` when the
camera sends it, else up to the next boundary. A dropped connection reconnects with backoff.

>>> import io
>>> body = b"--fr\\r\\nContent-Type: image/jpeg\\r\\nContent-Length: 3\\r\\n\\r\\nabc\\r\\n--fr\\r\\n\\r\\nxyz\\r\\n--fr--"
>>> list(iter_parts(io.BufferedReader(io.BytesIO(body)), b"fr"))
[b'abc', b'xyz']
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from typing import IO, Any, ClassVar

from featurizers.config.sources import Kind, MjpegSourceConfig
from featurizers.errors import CaptureError
from featurizers.samples import VideoFrame
from featurizers.sources._pyav import import_av, to_rgb
from featurizers.sources.base import ThreadedSource

_MAX_PART = 32 * 1024 * 1024


def iter_parts(stream: IO[bytes], boundary: bytes) -> Iterator[bytes]:
    """Bodies of the parts of a multipart stream."""
    marker = b"--" + boundary
    line = stream.readline()
    while line:
        if not line.strip().startswith(marker):
            line = stream.readline()
            continue
        if line.strip() == marker + b"--":
            return
        length = None
        while True:  # part headers
            header = stream.readline()
            if not header or header in (b"\r\n", b"\n"):
                break
            name, _, value = header.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length is not None:
            body = stream.read(length)
            line = stream.readline()
            if line.strip() == b"":
                line = stream.readline()
            yield body
            continue
        chunks = []
        size = 0
        line = stream.readline()
        while line and not line.strip().startswith(marker):
            chunks.append(line)
            size += len(line)
            if size > _MAX_PART:
                raise CaptureError("MJPEG part larger than 32 MiB without a boundary; not an MJPEG stream?")
            line = stream.readline()
        data = b"".join(chunks)
        yield data[:-2] if data.endswith(b"\r\n") else data.rstrip(b"\n")


class MjpegSource(ThreadedSource):
    """Live frames from an MJPEG-over-HTTP URL."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "mjpeg"

    def __init__(self, config: MjpegSourceConfig) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds)
        self.config = config
        self._response: Any = None
        self._decoder: Any = None
        self._bad_frames = 0

    def _open(self) -> None:
        c = self.config
        self._response = urllib.request.urlopen(c.url, timeout=c.timeout_seconds)  # noqa: S310 (http only)
        ctype = self._response.headers.get("Content-Type", "")
        if "multipart" not in ctype or "boundary=" not in ctype:
            raise CaptureError(f"{c.url} is not an MJPEG stream (Content-Type {ctype!r}); "
                               "point the URL at the camera's multipart stream")
        self._boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"').encode()
        if self._boundary.startswith(b"--"):
            self._boundary = self._boundary[2:]
        self._decoder = import_av().CodecContext.create("mjpeg", "r")

    def _stream(self) -> bool:
        av = import_av()
        c = self.config
        for jpeg in iter_parts(self._response, self._boundary):
            if self._stop.is_set():
                return False
            try:
                frames = self._decoder.decode(av.Packet(jpeg))
            except av.error.FFmpegError:
                self._bad_frames += 1
                continue
            for frame in frames:
                self._publish(VideoFrame(image=to_rgb(frame, c.width, c.height), timestamp=time.time(),
                                         seq=self._next_seq()))
        raise CaptureError(f"MJPEG stream {c.url} ended")

    def _close(self) -> None:
        if self._response is not None:
            try:
                self._response.close()
            except OSError:
                pass
            self._response = None

    def _extra_stats(self) -> dict[str, Any]:
        return {"bad_frames": self._bad_frames}
