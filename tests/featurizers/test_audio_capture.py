"""Real capture: PortAudio (sounddevice) -> ALSA pulse plugin -> PulseAudio null sink monitor, with
espeak-ng speaking into the sink. The same AudioDeviceSource runs on a Pi's USB mic."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from featurizers import AudioDeviceSourceConfig, AudioFileSourceConfig, AudioWindow, build_source
from featurizers.audio.features import AudioFeaturizer
from featurizers.sources.audio_device import AudioDeviceSource

SENTENCE = "the quick brown fox jumps over the lazy dog, then runs away"


def collect(source: AudioDeviceSource, seconds: float) -> list[AudioWindow]:
    out: list[AudioWindow] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        w = source.read(timeout=0.5)
        if isinstance(w, AudioWindow):
            out.append(w)
    return out


def test_speech_differs_from_silence(pulse: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "featurizers.sources")
    source = AudioDeviceSource(AudioDeviceSourceConfig(id="mic", device="pulse", window_seconds=0.5,
                                                       hop_seconds=0.25, silent_warn_seconds=0.6))
    featurizer = AudioFeaturizer()
    source.start()
    try:
        assert source.read(timeout=8.0) is not None, source.stats()  # PortAudio takes ~1-1.6 s to start
        silence = collect(source, 1.2)
        stats = source.stats()
        assert stats["silent"] is True and "all zeros" in caplog.text
        with pulse.speaking(SENTENCE):
            time.sleep(0.3)
            speech = collect(source, 2.0)
        stats = source.stats()
    finally:
        source.stop()
    assert stats["native_rate"] > 0 and stats["rate"] == 16000 and stats["errors"] == 0
    assert len(silence) >= 3 and len(speech) >= 4
    quiet = [featurizer.featurize(w) for w in silence]
    loud = [featurizer.featurize(w) for w in speech]
    assert max(f["dbfs"] for f in quiet) <= -90.0
    assert max(f["dbfs"] for f in loud) >= -40.0  # espeak-ng gives RMS ~0.08 (-22 dBFS)
    best = max(loud, key=lambda f: f["dbfs"])
    assert best["rms"] > 0.01 > max(f["rms"] for f in quiet)
    assert np.mean([best[f"mel_{i:02d}"] for i in range(32)]) > np.mean([quiet[0][f"mel_{i:02d}"] for i in range(32)]) + 20
    assert 0.1 < best["centroid_khz"] < 4.0  # speech energy sits low in the spectrum; silence has none
    assert max(f["centroid_khz"] for f in quiet) == 0.0


def test_cli_featurize_pulse_json(pulse: Any, cli: Any) -> None:
    with pulse.speaking(SENTENCE):
        code, out, err = cli("featurize", ["--source", "audio:pulse", "--seconds", "6", "--json"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) >= 3
    assert {r["namespace"] for r in rows} == {"audio"}
    assert all(r["ms"] >= 0 and r["timestamp"] > 0 and "dbfs" in r["features"] for r in rows)
    assert max(r["features"]["dbfs"] for r in rows) > -40.0


def test_devices_lists_pulse(pulse: Any, cli: Any) -> None:
    code, out, _ = cli("devices", ["--json"])
    assert code == 0
    names = [d["name"] for d in json.loads(out)["audio_inputs"]]
    assert "pulse" in names and "default" in names


def test_missing_audio_device_names_present_ones(pulse: Any, cli: Any) -> None:
    code, _, err = cli("featurize", ["--source", "audio:no-such-mic", "--seconds", "1"])
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "no-such-mic" in err and "pulse" in err


def test_a_run_shorter_than_the_window_says_so(tone_files: dict[str, object], cli: Any) -> None:
    code, out, err = cli("featurize", ["--source", f"audio:file:{tone_files['wav']}", "--seconds", "0.5"])
    assert (code, out) == (1, "")
    assert "the audio window is 1 s: run longer than it (--seconds) or give a shorter --window" in err
    code, out, err = cli("featurize", ["--source", f"audio:file:{tone_files['wav']}", "--seconds", "0.5", "--window", "0.2"])
    assert code == 0 and out.startswith("|audio "), err


def test_a_folder_given_as_the_file_source_is_named_a_folder(tmp_path: Path, cli: Any) -> None:
    code, out, err = cli("featurize", ["--source", f"audio:file:{tmp_path}", "--seconds", "1"])
    assert (code, out) == (2, "") and err == f"wabbit featurize: file {str(tmp_path)!r} is a directory; give a media file in it\n"


@pytest.mark.parametrize(("flag", "value", "why"), [("--seconds", "0", "give a number of seconds above 0"),
                                                    ("--seconds", "-1", "give a number of seconds above 0"),
                                                    ("--max-results", "-1", "give a number of results, or 0 for no limit")])
def test_a_negative_duration_or_count_is_refused(tone_files: dict[str, object], cli: Any, flag: str, value: str, why: str) -> None:
    code, out, err = cli("featurize", ["--source", f"audio:file:{tone_files['wav']}", "--no-realtime", flag, value])
    assert (code, out, err) == (2, "", f"wabbit featurize: {flag} {value}: {why}\n")


@pytest.mark.parametrize("window", ["0", "-1"])
def test_a_window_out_of_range_is_named_with_its_bound(tone_files: dict[str, object], cli: Any, window: str) -> None:
    code, out, err = cli("featurize", ["--source", f"audio:file:{tone_files['wav']}", "--window", window])
    assert (code, out, err) == (2, "", f"wabbit featurize: --window {window}: Input should be greater than 0.05\n")


@pytest.mark.parametrize("kind", ["wav", "flac"])
def test_audio_file_resampled_windows(tone_files: dict[str, object], kind: str) -> None:
    source = build_source(AudioFileSourceConfig(id="f", path=str(tone_files[kind]), realtime=False,
                                                window_seconds=0.5, hop_seconds=0.5))
    source.start()
    windows = []
    while (w := source.read(timeout=5.0)) is not None:
        windows.append(w)
    source.stop()
    assert len(windows) == 4  # 2 s at 16 kHz, 0.5 s windows, none dropped
    feats = AudioFeaturizer().featurize(windows[1])
    assert abs(feats["centroid_khz"] - 1.0) < 0.05
    assert abs(feats["dbfs"] - (20 * np.log10(0.5 / np.sqrt(2)))) < 0.3
    assert source.stats()["state"] == "ended"
