"""The same audio features computed by librosa: the reference for tests and the benchmark.

librosa is not a runtime dependency (it is in the ``test`` extra); it is imported when called.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from featurizers.config import AudioFeaturizerConfig


def librosa_features(y: npt.NDArray[np.float64], rate: int, config: AudioFeaturizerConfig) -> dict[str, float]:
    """What :class:`~featurizers.audio.features.AudioFeaturizer` computes, feature by feature in librosa."""
    import librosa

    c = config
    kw: dict[str, Any] = {"n_fft": c.n_fft, "hop_length": c.hop_length}
    mel_kw: dict[str, Any] = {**kw, "n_mels": c.n_mels, "fmin": c.fmin, "fmax": c.fmax}
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=rate, **mel_kw))
    mfcc = librosa.feature.mfcc(y=y, sr=rate, n_mfcc=c.n_mfcc, **mel_kw)
    out = {f"mel_{i:02d}": float(v) for i, v in enumerate(mel_db.mean(axis=1))}
    out.update({f"mfcc_{i:02d}": float(v) for i, v in enumerate(mfcc.mean(axis=1))})
    out["rms"] = float(librosa.feature.rms(y=y, frame_length=c.n_fft, hop_length=c.hop_length).mean())
    out["dbfs"] = float(librosa.amplitude_to_db(np.array(np.sqrt(np.mean(y * y))), ref=1.0, amin=1e-5, top_db=None))
    out["zcr"] = float(librosa.feature.zero_crossing_rate(y, frame_length=c.n_fft, hop_length=c.hop_length).mean())
    out["centroid_khz"] = float(librosa.feature.spectral_centroid(y=y, sr=rate, **kw).mean()) / 1000.0
    out["rolloff_khz"] = float(librosa.feature.spectral_rolloff(
        y=y, sr=rate, roll_percent=c.rolloff_percent, **kw).mean()) / 1000.0
    out["flatness"] = float(librosa.feature.spectral_flatness(y=y, **kw).mean())
    env = librosa.onset.onset_strength(y=y, sr=rate, **mel_kw)
    onsets = librosa.onset.onset_detect(onset_envelope=env, sr=rate, hop_length=c.hop_length)
    out["onset_rate"] = len(onsets) / (len(y) / rate)
    return out
