"""Camera previews: a video frame downscaled (libswscale) and encoded as a baseline JPEG (FFmpeg's mjpeg encoder).

PyAV loads on the first encode, so a daemon with the preview off never imports it. :class:`Previews` encodes
each source at most ``max_fps`` times a second, however many viewers ask.

>>> import numpy as np
>>> image = np.zeros((480, 640, 3), dtype=np.uint8)
>>> image[:, 320:] = (255, 200, 0)  # the right half orange
>>> data = encode_jpeg(image, 320)
>>> data[:2], data[-2:], b"\\xff\\xc0" in data  # start and end of image, baseline start-of-frame
(b'\\xff\\xd8', b'\\xff\\xd9', True)
>>> import av
>>> decoded = av.CodecContext.create("mjpeg", "r").decode(av.Packet(data))[0].to_ndarray(format="rgb24")
>>> decoded.shape, decoded[120, 40].tolist(), int(np.abs(decoded[120, 280] - np.array([255, 200, 0])).max()) < 8
((240, 320, 3), [0, 0, 0], True)
>>> preview_size(640, 480, 320), preview_size(160, 120, 320), preview_size(1920, 1080, 300)
((320, 240), (160, 120), (300, 169))
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from featurizers.samples import VideoFrame


def preview_size(width: int, height: int, max_width: int) -> tuple[int, int]:
    """The preview's size: ``max_width`` wide with the frame's aspect ratio, never larger than the frame."""
    if width <= max_width:
        return width, height
    return max_width, max(1, round(height * max_width / width))


def encode_jpeg(image: npt.NDArray[np.uint8], max_width: int) -> bytes:
    """An RGB ``uint8`` image (height x width x 3) as a JPEG at most ``max_width`` pixels wide."""
    from fractions import Fraction

    from featurizers.sources._pyav import import_av

    av = import_av()
    width, height = preview_size(image.shape[1], image.shape[0], max_width)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(width, height, format="yuvj420p",
                                                                        interpolation="AREA")
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt, codec.time_base = width, height, "yuvj420p", Fraction(1, 1)
    return b"".join(bytes(packet) for packet in [*codec.encode(frame), *codec.encode(None)])


@dataclass(frozen=True)
class _Encoded:
    seq: int
    at: float
    jpeg: bytes


class Previews:
    """The last JPEG of each source, encoded again only for a newer frame and at most ``max_fps`` times a second.

    >>> from featurizers.samples import VideoFrame
    >>> import numpy as np
    >>> now = [0.0]
    >>> previews = Previews(width=32, max_fps=2.0, clock=lambda: now[0])
    >>> frames = [VideoFrame(image=np.full((48, 64, 3), 40 * n, dtype=np.uint8), timestamp=0.0, seq=n) for n in (1, 2)]
    >>> first = previews.jpeg("cam", frames[0])
    >>> previews.jpeg("cam", frames[1]) is first  # a newer frame, but within 1/max_fps: the same JPEG
    True
    >>> now[0] = 0.5
    >>> previews.jpeg("cam", frames[1]) is first, previews.encoded
    (False, 2)
    """

    def __init__(self, width: int, max_fps: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.width, self.min_interval, self.clock = width, 1.0 / max_fps, clock
        self.encoded = 0
        self._lock = threading.Lock()  # one encode at a time: a few ms each, and viewers of one source share it
        self._last: dict[str, _Encoded] = {}

    def jpeg(self, source_id: str, frame: VideoFrame) -> bytes:
        """``frame`` of ``source_id`` as a JPEG, or the last one while it is as new or younger than 1/max_fps."""
        with self._lock:
            last, now = self._last.get(source_id), self.clock()
            if last is not None and (last.seq == frame.seq or now - last.at < self.min_interval):
                return last.jpeg
            encoded = _Encoded(frame.seq, now, encode_jpeg(frame.image, self.width))
            self._last[source_id] = encoded
            self.encoded += 1
            return encoded.jpeg
