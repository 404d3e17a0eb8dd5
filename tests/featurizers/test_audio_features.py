"""The audio featurizer agrees with librosa within 1e-4, keeps stable VW-safe names, and the
resampler keeps tones and removes what would alias."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from featurizers import AudioFeaturizerConfig, AudioWindow, SpecError, VideoFrame
from featurizers.audio.features import AudioFeaturizer
from featurizers.audio.reference import librosa_features
from featurizers.audio.resample import Resampler
from featurizers.bench import speechlike

RATE = 16000


def signals() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    t = np.arange(RATE) / RATE
    clicks = np.zeros(RATE)
    clicks[::2000] = 0.9
    gated = 0.3 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
    gated[:3000] = 0.0
    return {"speechlike": speechlike(), "noise": 0.1 * rng.standard_normal(RATE), "clicks": clicks,
            "gated_tone": gated, "silence": np.zeros(RATE), "short": 0.2 * rng.standard_normal(700)}


@pytest.mark.parametrize("name", list(signals()))
@pytest.mark.parametrize("config", [AudioFeaturizerConfig(),
                                    AudioFeaturizerConfig(n_fft=1024, hop_length=320, n_mels=40, n_mfcc=20,
                                                          fmin=50.0, fmax=7000.0, rolloff_percent=0.9)],
                         ids=["default", "custom"])
def test_matches_librosa(name: str, config: AudioFeaturizerConfig) -> None:
    y = signals()[name]
    ours = AudioFeaturizer(config).features(y, RATE)
    with warnings.catch_warnings():  # librosa warns when n_fft exceeds a short window; still computes
        warnings.filterwarnings("ignore", "n_fft=.* is too large", UserWarning)
        ref = librosa_features(y, RATE, config)
    assert list(ours) == list(ref)
    diffs = {k: abs(ours[k] - ref[k]) for k in ours}
    worst = max(diffs, key=lambda k: diffs[k])
    assert diffs[worst] <= 1e-4, f"{worst}: ours {ours[worst]} librosa {ref[worst]}"


def test_onsets_are_counted() -> None:
    feats = AudioFeaturizer().features(signals()["clicks"], RATE)
    assert feats["onset_rate"] >= 4  # 8 clicks in 1 s; librosa's peak picker keeps most


def test_names_stable_and_vw_safe() -> None:
    f = AudioFeaturizer()
    names = set()
    for y in signals().values():
        feats = f.featurize(AudioWindow(samples=y.astype(np.float32), rate=RATE, timestamp=0.0, seq=1))
        assert tuple(feats) == f.feature_names()
        assert all(np.isfinite(v) for v in feats.values())
        names.add(tuple(feats))
    assert len(names) == 1
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in f.feature_names())
    assert f.stats()["calls"] == len(signals())


def test_rejects_video() -> None:
    with pytest.raises(SpecError, match="audio source"):
        AudioFeaturizer().featurize(VideoFrame(image=np.zeros((4, 4, 3), np.uint8), timestamp=0.0, seq=1))


def test_bad_fmax_for_rate() -> None:
    with pytest.raises(SpecError, match="fmax"):
        AudioFeaturizer(AudioFeaturizerConfig(fmax=12000.0)).features(np.zeros(16000), 16000)


def test_an_empty_window_is_silence() -> None:
    # the last chunk of a recording sliced by hand can be empty: it has the features of silence, not a numpy error
    f = AudioFeaturizer()
    empty = f.features(np.zeros(0), RATE)
    assert empty == pytest.approx(f.features(np.zeros(1), RATE))
    assert (empty["rms"], empty["dbfs"], empty["onset_rate"]) == (0.0, -100.0, 0.0)


@pytest.mark.parametrize("layout", ["samples x channels", "channels x samples"])
def test_a_stereo_array_is_mixed_to_mono(layout: str) -> None:
    # soundfile and sounddevice give (samples, channels), librosa (channels, samples): read as one interleaved
    # signal, a 1 kHz tone would come out as noise around 4 kHz
    y = signals()["gated_tone"]
    stereo = np.stack([y, 0.5 * y], axis=1 if layout == "samples x channels" else 0)
    ours = AudioFeaturizer().features(stereo, RATE)
    mono = AudioFeaturizer().features(0.75 * y, RATE)
    assert ours == pytest.approx(mono, abs=1e-9)


@pytest.mark.parametrize("rate_in", [44100, 48000, 22050, 8000])
def test_resampler_keeps_tone_removes_alias(rate_in: int) -> None:
    t = np.arange(rate_in) / rate_in
    tone = np.sin(2 * np.pi * 1000 * t)
    resampler = Resampler(rate_in, RATE)
    out = np.concatenate([resampler.process(b) for b in np.array_split(tone, 7)])
    assert abs(len(out) - RATE) <= 1
    spectrum = np.abs(np.fft.rfft(out[2000:]))
    peak_hz = np.argmax(spectrum) * RATE / len(out[2000:])
    assert abs(peak_hz - 1000) < 2
    assert abs(np.abs(out[2000:]).max() - 1.0) < 0.01
    if rate_in > RATE:  # 11 kHz is above the new Nyquist (8 kHz): must be gone, not folded to 5 kHz
        alias = np.sin(2 * np.pi * 11000 * t)
        folded = Resampler(rate_in, RATE).process(alias)
        assert np.sqrt(np.mean(folded[2000:] ** 2)) < 1e-3
