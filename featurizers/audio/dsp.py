"""Pure numpy DSP building blocks, written to match librosa's definitions (its defaults:
Slaney mel scale and area normalisation, periodic Hann window, centred zero-padded frames).

>>> round(float(hz_to_mel(1000.0)), 6), round(float(mel_to_hz(hz_to_mel(3000.0))), 6)
(15.0, 3000.0)
>>> fb = mel_filterbank(16000, 512, 8)
>>> fb.shape, bool((fb >= 0).all())
((8, 257), True)
>>> d = dct_matrix(4, 4)
>>> bool(np.allclose(d @ d.T, np.eye(4)))
True
>>> frame(np.arange(10.0), 4, 3)
array([[0., 1., 2., 3.],
       [3., 4., 5., 6.],
       [6., 7., 8., 9.]])
>>> peak_pick(np.array([0, 1, 0, 0, 0, 0, 3, 0, 0, 0.]), 1, 1, 2, 3, 0.5, 1)
[1, 6]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = float(np.log(6.4) / 27.0)


def hz_to_mel(hz: F64 | float) -> F64:
    """Slaney mel scale (linear below 1 kHz, logarithmic above), as librosa's ``htk=False``."""
    f = np.asarray(hz, dtype=np.float64)
    mel = f / _F_SP
    above = f >= _MIN_LOG_HZ
    return np.where(above, _MIN_LOG_MEL + np.log(np.maximum(f, 1e-300) / _MIN_LOG_HZ) / _LOGSTEP, mel)


def mel_to_hz(mel: F64 | float) -> F64:
    """Inverse of :func:`hz_to_mel`."""
    m = np.asarray(mel, dtype=np.float64)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)


def mel_filterbank(rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> F64:
    """Triangular mel filters, Slaney area-normalised: shape ``(n_mels, 1 + n_fft // 2)``."""
    fmax = rate / 2.0 if fmax is None else fmax
    fft_freqs = np.linspace(0.0, rate / 2.0, 1 + n_fft // 2)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights


def dct_matrix(n_out: int, n_in: int) -> F64:
    """Orthonormal DCT-II rows (``scipy.fft.dct(..., type=2, norm='ortho')``), shape ``(n_out, n_in)``."""
    k = np.arange(n_out)[:, None]
    n = np.arange(n_in)[None, :]
    d: F64 = np.cos(np.pi * k * (2 * n + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    d[0] /= np.sqrt(2.0)
    return d


def hann(n: int) -> F64:
    """Periodic Hann window (``scipy.signal.get_window('hann', n)``)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def frame(y: F64, length: int, hop: int) -> F64:
    """Overlapping frames as a read-only strided view, shape ``(n_frames, length)``."""
    n_frames = 1 + (len(y) - length) // hop
    return np.lib.stride_tricks.as_strided(
        y, shape=(n_frames, length), strides=(y.strides[0] * hop, y.strides[0]), writeable=False)


def power_to_db(power: F64, amin: float = 1e-10, top_db: float = 80.0) -> F64:
    """``10 log10(power)`` with floor ``amin`` and range clipped to ``top_db`` below the max."""
    db = 10.0 * np.log10(np.maximum(amin, power))
    return np.maximum(db, db.max() - top_db) if db.size else db


def peak_pick(x: F64, pre_max: int, post_max: int, pre_avg: int, post_avg: int,
              delta: float, wait: int) -> list[int]:
    """Indices of peaks (librosa's ``util.peak_pick`` heuristic)."""
    n_x = len(x)
    peaks: list[int] = []
    if n_x == 0:
        return peaks
    first = x[0] >= x[:min(post_max, n_x)].max() and x[0] >= x[:min(post_avg, n_x)].mean() + delta
    n = 1
    if first:
        peaks.append(0)
        n = wait + 1
    while n < n_x:
        if x[n] != x[max(0, n - pre_max):min(n + post_max, n_x)].max():
            n += 1
            continue
        if x[n] < x[max(0, n - pre_avg):min(n + post_avg, n_x)].mean() + delta:
            n += 1
            continue
        peaks.append(n)
        n += wait + 1
    return peaks
