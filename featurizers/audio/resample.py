"""Streaming rational resampler in numpy: a polyphase Kaiser-windowed sinc low-pass.

Many USB microphones only offer 44.1 or 48 kHz; featurizers want e.g. 16 kHz. Blocks of any size go
in, output comes out with state kept between blocks, so streaming equals one-shot processing:

>>> import numpy as np
>>> r = Resampler(48000, 16000)
>>> x = np.sin(2 * np.pi * 1000 * np.arange(4800) / 48000)
>>> y = np.concatenate([r.process(x[:1000]), r.process(x[1000:])])
>>> y2 = Resampler(48000, 16000).process(x)
>>> (len(y), bool(np.allclose(y, y2)))
(1600, True)
>>> round(float(np.abs(y[800:]).max()), 2)  # a 1 kHz tone keeps its amplitude
1.0
"""

from __future__ import annotations

from math import gcd

import numpy as np
import numpy.typing as npt


class Resampler:
    """Resample a stream from ``rate_in`` to ``rate_out`` (integers, any ratio).

    ``zero_crossings`` sets the filter length (quality vs cost); the pass band ends at
    ``0.9 * min(rate_in, rate_out) / 2``; stop-band attenuation is about 80 dB (Kaiser beta 8).
    """

    def __init__(self, rate_in: int, rate_out: int, zero_crossings: int = 16, beta: float = 8.0) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError(f"resampler rates must be positive (got {rate_in} -> {rate_out})")
        g = gcd(rate_in, rate_out)
        self.up, self.down = rate_out // g, rate_in // g
        self.rate_in, self.rate_out = rate_in, rate_out
        if self.up == self.down:
            self._taps = np.ones((1, 1))
        else:
            n = 2 * zero_crossings * max(self.up, self.down) + 1
            cutoff = 0.9 * min(rate_in, rate_out) / 2.0 / (self.up * rate_in)  # cycles per upsampled sample
            t = np.arange(n) - (n - 1) / 2.0
            h = 2.0 * cutoff * np.sinc(2.0 * cutoff * t) * np.kaiser(n, beta) * self.up
            k = -(-n // self.up)
            padded = np.zeros(k * self.up)
            padded[:n] = h
            self._taps = padded.reshape(k, self.up).T.copy()  # (phase, tap)
        self._k = self._taps.shape[1]
        self._hist = np.zeros(self._k - 1)
        self._offset = -(self._k - 1)  # absolute input index of _hist[0]
        self._n_in = 0
        self._n_out = 0

    @property
    def delay_seconds(self) -> float:
        """Group delay the filter adds."""
        return (self._k * self.up - 1) / 2.0 / (self.up * self.rate_in)

    def process(self, block: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """Feed a block of input samples, get every output sample now computable."""
        x = np.asarray(block, dtype=np.float64).reshape(-1)
        if self.up == self.down:
            return x.astype(np.float32)
        self._hist = np.concatenate([self._hist, x])
        self._n_in += len(x)
        # outputs n whose newest needed input i0 = n*down // up is available (< n_in)
        n_end = ((self._n_in - 1) * self.up) // self.down + 1 if self._n_in else 0
        if n_end <= self._n_out:
            return np.zeros(0, dtype=np.float32)
        n = np.arange(self._n_out, n_end)
        pos = n * self.down
        i0 = pos // self.up
        idx = (i0 - self._offset)[:, None] - np.arange(self._k)[None, :]
        y: npt.NDArray[np.float64] = np.einsum("nk,nk->n", self._hist[idx], self._taps[pos % self.up])
        self._n_out = n_end
        keep_from = (n_end * self.down) // self.up - (self._k - 1)
        drop = keep_from - self._offset
        if drop > 0:
            self._hist = self._hist[drop:]
            self._offset += drop
        return y.astype(np.float32)
