"""Audio featurizer: numpy only on the hot path, one STFT shared by every feature.

Each value is a summary over the window and agrees with librosa (the reference, used in tests only):
``mel_NN`` mean of ``power_to_db(melspectrogram)`` per band, ``mfcc_NN`` mean MFCC, ``rms`` mean frame
RMS, ``dbfs`` level of the whole window, ``zcr`` mean zero-crossing rate, ``centroid_khz`` and
``rolloff_khz`` mean spectral centroid/rolloff, ``flatness`` mean spectral flatness, ``onset_rate``
onsets per second (librosa's onset_detect on the same mel spectrogram).

>>> import numpy as np
>>> from featurizers.config import AudioFeaturizerConfig
>>> f = AudioFeaturizer(AudioFeaturizerConfig(n_mels=8, n_mfcc=4))
>>> t = np.arange(16000) / 16000
>>> feats = f.features(0.5 * np.sin(2 * np.pi * 1000 * t), 16000)
>>> round(feats["centroid_khz"], 2), round(feats["dbfs"], 1), round(feats["zcr"], 3)
(1.01, -9.0, 0.122)
>>> list(feats) == list(f.feature_names())
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from featurizers.audio import dsp
from featurizers.config import AudioFeaturizerConfig
from featurizers.errors import SpecError
from featurizers.samples import AudioWindow, Sample
from featurizers.timing import CallTimer

_TINY = float(np.finfo(np.float64).tiny)


@dataclass(frozen=True)
class _Tables:
    window: npt.NDArray[np.float64]
    mel: npt.NDArray[np.float64]
    dct: npt.NDArray[np.float64]
    freqs_khz: npt.NDArray[np.float64]
    peak_args: tuple[int, int, int, int, int]


class AudioFeaturizer:
    """Featurizes :class:`~featurizers.samples.AudioWindow` (or raw arrays via :meth:`features`)."""

    kind: Literal["audio"] = "audio"

    def __init__(self, config: AudioFeaturizerConfig | None = None) -> None:
        self.config = config or AudioFeaturizerConfig()
        self.namespace = self.config.namespace
        self._tables: dict[int, _Tables] = {}
        self._timer = CallTimer()
        c = self.config
        self._names = (tuple(f"mel_{i:02d}" for i in range(c.n_mels))
                       + tuple(f"mfcc_{i:02d}" for i in range(c.n_mfcc))
                       + ("rms", "dbfs", "zcr", "centroid_khz", "rolloff_khz", "flatness", "onset_rate"))

    def feature_names(self) -> tuple[str, ...]:
        return self._names

    def featurize(self, sample: Sample) -> dict[str, float]:
        if not isinstance(sample, AudioWindow):
            raise SpecError(f"audio featurizer {self.namespace!r} got a {type(sample).__name__}; "
                            "connect it to an audio source")
        with self._timer.measure():
            return self.features(sample.samples, sample.rate)

    def stats(self) -> dict[str, Any]:
        return {"backend": "numpy", **self._timer.stats()}

    def _tables_for(self, rate: int) -> _Tables:
        tables = self._tables.get(rate)
        if tables is None:
            c = self.config
            fmax = c.fmax if c.fmax is not None else rate / 2.0
            if fmax > rate / 2.0 or c.fmin >= fmax:
                raise SpecError(f"audio featurizer: need fmin < fmax <= rate/2 (fmin={c.fmin}, fmax={fmax}, "
                                f"rate={rate}); fix fmin/fmax in the featurizer config")
            hop = c.hop_length
            peak = tuple(int(np.ceil(v)) for v in (0.03 * rate // hop, 0.0 * rate // hop + 1,
                                                   0.10 * rate // hop, 0.10 * rate // hop + 1,
                                                   0.03 * rate // hop))
            tables = _Tables(window=dsp.hann(c.n_fft), mel=dsp.mel_filterbank(rate, c.n_fft, c.n_mels, c.fmin, fmax),
                             dct=dsp.dct_matrix(c.n_mfcc, c.n_mels),
                             freqs_khz=np.linspace(0.0, rate / 2000.0, 1 + c.n_fft // 2),
                             peak_args=(peak[0], peak[1], peak[2], peak[3], peak[4]))
            self._tables[rate] = tables
        return tables

    def features(self, samples: npt.ArrayLike, rate: int) -> dict[str, float]:
        """Features of a window ``samples`` (float, [-1, 1]) at ``rate`` Hz: mono, or 2-D with a channel axis
        (the shorter one, either layout: soundfile's samples x channels, librosa's channels x samples) mixed to mono."""
        c = self.config
        t = self._tables_for(rate)
        y = np.asarray(samples, dtype=np.float64)
        if y.ndim == 2 and y.size:
            y = y.mean(axis=int(np.argmin(y.shape)))  # as the sources mix their channels
        y = y.reshape(-1)
        n_fft, hop = c.n_fft, c.hop_length
        half = n_fft // 2
        frames = dsp.frame(np.pad(y, half), n_fft, hop)
        mag = np.abs(np.fft.rfft(frames * t.window, axis=1)).T  # (bins, frames)
        power = mag * mag
        mel_db = dsp.power_to_db(t.mel @ power)  # (n_mels, frames)
        mfcc = t.dct @ mel_db
        rms = np.sqrt(np.mean(frames * frames, axis=1))
        level = float(np.sqrt(np.mean(y * y))) if y.size else 0.0
        dbfs = 20.0 * np.log10(max(level, 1e-5))
        edge = dsp.frame(np.pad(y, half, mode="edge" if y.size else "constant"), n_fft, hop)  # nothing to repeat: zeros
        signs = np.signbit(np.where(np.abs(edge) <= 1e-10, 0.0, edge))
        zcr = np.count_nonzero(signs[:, 1:] != signs[:, :-1], axis=1) / n_fft
        total = mag.sum(axis=0)
        centroid = (t.freqs_khz @ mag) / np.where(total < _TINY, 1.0, total)
        cum = np.cumsum(mag, axis=0)
        rolloff = t.freqs_khz[np.argmax(cum >= c.rolloff_percent * cum[-1], axis=0)]
        pthr = np.maximum(1e-10, power)
        flatness = np.exp(np.mean(np.log(pthr), axis=0)) / np.mean(pthr, axis=0)
        onset_rate = self._onset_count(mel_db, t) / (len(y) / rate) if y.size else 0.0
        out = dict(zip(self._names[:c.n_mels], mel_db.mean(axis=1).tolist()))
        out.update(zip(self._names[c.n_mels:c.n_mels + c.n_mfcc], mfcc.mean(axis=1).tolist()))
        out.update(rms=float(rms.mean()), dbfs=float(dbfs), zcr=float(zcr.mean()),
                   centroid_khz=float(centroid.mean()), rolloff_khz=float(rolloff.mean()),
                   flatness=float(flatness.mean()), onset_rate=float(onset_rate))
        return out

    def _onset_count(self, mel_db: npt.NDArray[np.float64], t: _Tables) -> int:
        n_frames = mel_db.shape[1]
        if n_frames < 2:
            return 0
        env = np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]).mean(axis=0)
        env = np.concatenate([np.zeros(1 + self.config.n_fft // (2 * self.config.hop_length)), env])[:n_frames]
        env = env - env.min()
        env = env / (env.max() + _TINY)
        if not env.any():
            return 0
        return len(dsp.peak_pick(env, *t.peak_args[:4], 0.07, t.peak_args[4]))
