"""What sources produce: timestamped audio windows and video frames.

>>> import numpy as np
>>> w = AudioWindow(samples=np.zeros(160, dtype=np.float32), rate=16000, timestamp=1.5, seq=3)
>>> w.duration
0.01
>>> f = VideoFrame(image=np.zeros((4, 6, 3), dtype=np.uint8), timestamp=2.0, seq=1)
>>> (f.width, f.height)
(6, 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class AudioWindow:
    """The latest ``window_seconds`` of mono audio, float32 in [-1, 1] at ``rate`` Hz."""

    samples: npt.NDArray[np.float32]
    rate: int
    timestamp: float
    seq: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


@dataclass(frozen=True)
class VideoFrame:
    """One RGB frame (``uint8``, height x width x 3); ``meta`` carries per-frame extras
    such as IMX500 on-sensor inference outputs."""

    image: npt.NDArray[np.uint8]
    timestamp: float
    seq: int
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


Sample = AudioWindow | VideoFrame
