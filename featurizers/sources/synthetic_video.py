"""A synthetic scene: a slowly shifting gradient and a bouncing square; the shipped fake camera.

>>> from featurizers.config import SyntheticVideoSourceConfig
>>> src = SyntheticVideoSource(SyntheticVideoSourceConfig(id="fake", width=64, height=48, realtime=False))
>>> src.start()
>>> a, b = src.read(timeout=5.0), src.read(timeout=5.0)
>>> src.stop()
>>> a.image.shape, b.seq - a.seq, bool((a.image != b.image).any())
((48, 64, 3), 1, True)
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from featurizers.config.sources import Kind, SyntheticVideoSourceConfig
from featurizers.samples import VideoFrame
from featurizers.sources.base import ThreadedSource


def scene(n: int, width: int, height: int, rng: np.random.Generator) -> npt.NDArray[np.uint8]:
    """Frame ``n`` of the scene (deterministic but for a little seeded noise)."""
    x = np.linspace(0.0, 1.0, width)[None, :]
    y = np.linspace(0.0, 1.0, height)[:, None]
    img = np.empty((height, width, 3), dtype=np.float64)
    img[..., 0] = 0.5 + 0.4 * np.sin(2 * np.pi * (x + n / 150.0)) * np.ones_like(y)
    img[..., 1] = 0.3 + 0.4 * y * np.ones_like(x)
    img[..., 2] = 0.2 + 0.2 * x * y
    side = max(4, min(width, height) // 5)
    px = int(abs((n * 3) % (2 * (width - side)) - (width - side)))
    py = int(abs((n * 2) % (2 * (height - side)) - (height - side)))
    img[py:py + side, px:px + side] = (0.95, 0.9, 0.1)
    img += rng.normal(0.0, 0.01, img.shape)
    return np.clip(img * 255.0, 0, 255).astype(np.uint8)


class SyntheticVideoSource(ThreadedSource):
    """Seeded synthetic frames at ``fps`` (or as fast as read when ``realtime=False``)."""

    kind: ClassVar[Kind] = "video"
    type: ClassVar[str] = "synthetic_video"

    def __init__(self, config: SyntheticVideoSourceConfig) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds, lossless=not config.realtime)
        self.config = config

    def _stream(self) -> bool:
        c = self.config
        width, height = c.width or 640, c.height or 480
        rng = np.random.default_rng(c.seed)
        start, n = time.monotonic(), 0
        while not self._stop.is_set():
            self._publish(VideoFrame(image=scene(n, width, height, rng), timestamp=time.time(),
                                     seq=self._next_seq()))
            n += 1
            if c.realtime and self._stop.wait(max(0.0, start + n / c.fps - time.monotonic())):
                break
        return False
