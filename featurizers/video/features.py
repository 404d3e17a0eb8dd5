"""Video featurizer in numpy: brightness, contrast, coarse colour histogram, dominant colour,
motion energy between frames, sharpness; computed on an NxN block-averaged copy of the frame.

All values are in [0, 1] but sharpness (variance of the Laplacian of luma in [0, 1], usually < 1):

>>> import numpy as np
>>> from featurizers.config import VideoFeaturizerConfig
>>> from featurizers.samples import VideoFrame
>>> f = VideoFeaturizer(VideoFeaturizerConfig(downscale=2))
>>> red = np.zeros((8, 8, 3), dtype=np.uint8); red[..., 0] = 255
>>> a = f.featurize(VideoFrame(image=red, timestamp=0.0, seq=1))
>>> (a["brightness"], a["hist_100"], a["dominant_r"], a["motion"])
(0.299, 1.0, 1.0, 0.0)
>>> b = f.featurize(VideoFrame(image=np.zeros_like(red), timestamp=0.1, seq=2))
>>> round(b["motion"], 3), b["brightness"]
(0.299, 0.0)
"""

from __future__ import annotations

from itertools import product
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from featurizers.config import VideoFeaturizerConfig
from featurizers.errors import SpecError
from featurizers.samples import Sample, VideoFrame
from featurizers.timing import CallTimer

_LUMA = np.array([0.299, 0.587, 0.114]) / 255.0


def block_mean(image: npt.NDArray[np.uint8], n: int) -> npt.NDArray[np.float64]:
    """Average NxN pixel blocks (edges that do not fill a block are cropped; a frame smaller than a block is one).

    >>> block_mean(np.arange(16, dtype=np.uint8).reshape(4, 4, 1), 2)[..., 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    >>> block_mean(np.arange(16, dtype=np.uint8).reshape(4, 4, 1), 8)[..., 0].tolist()
    [[7.5]]
    """
    n = max(1, min(n, image.shape[0], image.shape[1]))
    if n == 1:
        return image.astype(np.float64)
    h, w = (image.shape[0] // n) * n, (image.shape[1] // n) * n
    crop = image[:h, :w]
    # n strided adds are much faster than a reshape-and-reduce; uint32 cannot overflow (n <= 64)
    rows: npt.NDArray[np.uint32] = crop[0::n].astype(np.uint32)
    for k in range(1, n):
        rows += crop[k::n]
    sums: npt.NDArray[np.uint32] = rows[:, 0::n].copy()
    for k in range(1, n):
        sums += rows[:, k::n]
    out: npt.NDArray[np.float64] = sums.astype(np.float64) * (1.0 / (n * n))
    return out


def rgb(image: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """``image`` as height x width x 3 ``uint8``: grey repeated, alpha dropped; :class:`SpecError` saying what to
    pass for anything else.

    >>> rgb(np.zeros((2, 3), dtype=np.uint8)).shape, rgb(np.zeros((2, 3, 4), dtype=np.uint8)).shape
    ((2, 3, 3), (2, 3, 3))
    >>> rgb(np.zeros((2, 3, 3)))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    featurizers.errors.SpecError: a video frame must hold uint8 values 0-255, not float64: convert it ...
    """
    if image.dtype != np.uint8:
        raise SpecError(f"a video frame must hold uint8 values 0-255, not {image.dtype}: convert it "
                        "(e.g. (image * 255).astype(np.uint8) for values in [0, 1])")
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return np.repeat(image.reshape(image.shape[0], image.shape[1], 1), 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 4:
        return image[..., :3]
    raise SpecError(f"a video frame must be height x width x 3 (RGB), height x width (grey) or height x width x 4 "
                    f"(RGBA), not shape {image.shape}")


class VideoFeaturizer:
    """Stateful only for motion (keeps the previous downscaled luma)."""

    kind: Literal["video"] = "video"

    def __init__(self, config: VideoFeaturizerConfig | None = None) -> None:
        self.config = config or VideoFeaturizerConfig()
        self.namespace = self.config.namespace
        bins = self.config.hist_bins
        self._bins = [f"hist_{r}{g}{b}" for r, g, b in product(range(bins), repeat=3)]
        self._names = ("brightness", "contrast", *self._bins, "dominant_r", "dominant_g", "dominant_b",
                       "motion", "sharpness")
        self._prev: npt.NDArray[np.float64] | None = None
        self._timer = CallTimer()

    def feature_names(self) -> tuple[str, ...]:
        return self._names

    def stats(self) -> dict[str, Any]:
        return {"backend": "numpy", **self._timer.stats()}

    def featurize(self, sample: Sample) -> dict[str, float]:
        if not isinstance(sample, VideoFrame):
            raise SpecError(f"video featurizer {self.namespace!r} got a {type(sample).__name__}; "
                            "connect it to a video source")
        with self._timer.measure():
            return self.features(sample.image)

    def features(self, image: npt.NDArray[np.uint8]) -> dict[str, float]:
        """Features of one RGB ``uint8`` frame (height x width x 3; a grey one, height x width or x 1, and an RGBA
        one are read as RGB)."""
        small = block_mean(rgb(image), self.config.downscale)
        luma = small @ _LUMA
        bins = self.config.hist_bins
        q = np.minimum((small * (bins / 256.0)).astype(np.intp), bins - 1)
        code = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
        counts = np.bincount(code.ravel(), minlength=bins**3)
        n_px = code.size
        top = int(np.argmax(counts))
        dominant = small[code == top].mean(axis=0) / 255.0
        if self._prev is not None and self._prev.shape == luma.shape:
            motion = float(np.mean(np.abs(luma - self._prev)))
        else:
            motion = 0.0
        self._prev = luma
        lap = (luma[1:-1, :-2] + luma[1:-1, 2:] + luma[:-2, 1:-1] + luma[2:, 1:-1] - 4.0 * luma[1:-1, 1:-1])
        out = {"brightness": round(float(luma.mean()), 9), "contrast": float(luma.std())}
        out.update(zip(self._bins, (counts / n_px).tolist()))
        out.update(dominant_r=float(dominant[0]), dominant_g=float(dominant[1]), dominant_b=float(dominant[2]),
                   motion=round(motion, 9), sharpness=float(lap.var()) if lap.size else 0.0)
        return out
