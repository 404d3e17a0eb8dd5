"""PyAV (FFmpeg) helpers shared by the file, V4L2, RTSP and MJPEG sources; imported lazily."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from featurizers.errors import BackendUnavailableError


def import_av() -> Any:
    """``av`` (PyAV), or a clear error naming the fix."""
    try:
        import av
    except ImportError as err:
        raise BackendUnavailableError(f"video/audio decoding needs PyAV ({err}); pip install av") from err
    return av


def to_rgb(frame: Any, width: int | None, height: int | None) -> npt.NDArray[np.uint8]:
    """An ``av.VideoFrame`` as an RGB ``uint8`` array, scaled when width/height are set."""
    if width is not None or height is not None:
        frame = frame.reformat(width=width or frame.width, height=height or frame.height, format="rgb24")
        return np.asarray(frame.to_ndarray(), dtype=np.uint8)
    return np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def paced(frames: Iterable[Any], realtime: bool, stop: Callable[[], bool],
          wait: Callable[[float], bool]) -> Iterable[Any]:
    """Yield decoded frames, sleeping to their presentation time when ``realtime``."""
    start: float | None = None
    first: float | None = None
    for frame in frames:
        if stop():
            return
        t = frame.time
        if realtime and t is not None:
            if start is None or first is None:
                start, first = time.monotonic(), float(t)
            delay = start + (float(t) - first) - time.monotonic()
            if delay > 0 and wait(delay):
                return
        yield frame
