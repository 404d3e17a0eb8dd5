"""A ring of the latest audio window that yields a copy every ``hop`` samples.

>>> import numpy as np
>>> ring = AudioRing(window=4, hop=2)
>>> [w.tolist() for w in ring.push(np.arange(7, dtype=np.float32))]
[[0.0, 1.0, 2.0, 3.0], [2.0, 3.0, 4.0, 5.0]]
>>> [w.tolist() for w in ring.push(np.array([7.0], dtype=np.float32))]
[[4.0, 5.0, 6.0, 7.0]]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


class AudioRing:
    """Holds the latest ``window`` samples; :meth:`push` returns the windows completed."""

    def __init__(self, window: int, hop: int) -> None:
        if window <= 0 or hop <= 0:
            raise ValueError(f"window and hop must be positive (got {window}, {hop})")
        self.window, self.hop = window, hop
        self._buf = np.zeros(2 * window, dtype=np.float32)
        self._end = 0  # samples in _buf
        self._filled = 0  # total samples seen, capped at window
        self._since = 0  # samples since the last window (or since start)

    def push(self, block: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
        out: list[npt.NDArray[np.float32]] = []
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        while len(x):
            need = self.window - self._filled if self._filled < self.window else self.hop - self._since
            piece, x = x[:need], x[need:]
            if self._end + len(piece) > len(self._buf):
                self._buf[:self.window] = self._buf[self._end - self.window:self._end]
                self._end = self.window
            self._buf[self._end:self._end + len(piece)] = piece
            self._end += len(piece)
            if self._filled < self.window:
                self._filled += len(piece)
                if self._filled == self.window:
                    out.append(self._buf[self._end - self.window:self._end].copy())
                    self._since = 0
            else:
                self._since += len(piece)
                if self._since == self.hop:
                    out.append(self._buf[self._end - self.window:self._end].copy())
                    self._since = 0
        return out
