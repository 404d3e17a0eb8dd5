"""A benchmark whose backend is missing is skipped with the reason, the others run, and compare, trend and
history read reports holding such entries. The backends are made missing for real: a folder first on
PYTHONPATH holds packages that raise ModuleNotFoundError when imported, as an uninstalled one does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appliance.bench.history import load_history, load_report, write_history
from appliance.cli import main

WABBIT = [sys.executable, "-m", "appliance"]
TFLITE = "featurizers.tflite_blazeface_vs_invoke"
AUDIO = "featurizers.audio_featurizer_vs_librosa"
VIDEO = "featurizers.video_featurizer_640x480"


def without(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which importing any of ``modules`` fails as if it were not installed."""
    blocked = tmp_path / "blocked"
    for module in modules:
        package = blocked / module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f'raise ModuleNotFoundError("No module named {module!r}", name={module!r})\n')
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocked), os.environ.get("PYTHONPATH", "")])}


def test_missing_backends_are_skipped_with_the_reason_and_the_rest_run(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    env = without(tmp_path, "ai_edge_litert", "tflite_runtime", "librosa")
    proc = subprocess.run([*WABBIT, "bench", "--quick", "--only", "featurizers.*", "--json", str(out)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())["results"]
    assert set(results) == {TFLITE, AUDIO, VIDEO}
    tflite, audio, video = results[TFLITE], results[AUDIO], results[VIDEO]
    assert tflite["skipped"].startswith("no TFLite runtime: pip install ai-edge-litert") and "median" not in tflite
    assert audio["skipped"] == "librosa is not installed: pip install -e '.[test]'" and "median" not in audio
    assert "skipped" not in video and video["median"] > 0 and video["unit"] == "ms"
    assert f"skipped {TFLITE}: no TFLite runtime" in proc.stderr and f"skipped {AUDIO}: librosa" in proc.stderr
    assert load_report(out)["results"] == results  # a report with skipped entries is a valid report


def test_flame_of_a_skipped_benchmark_says_why(tmp_path: Path) -> None:
    stand_in = tmp_path / "py-spy"  # records nothing, runs the benchmark process py-spy would have profiled
    stand_in.write_text("#!/bin/sh\necho '<svg/>' > \"$3\"\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n")
    stand_in.chmod(0o755)
    proc = subprocess.run([*WABBIT, "bench", "flame", TFLITE, "--quick", "--py-spy", str(stand_in), "--out",
                           str(tmp_path / "f.svg")], env=without(tmp_path, "ai_edge_litert", "tflite_runtime"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"benchmark {TFLITE} was skipped, there is nothing to profile: no TFLite runtime" in proc.stderr


def _report(time: str, rev: str, **results: dict[str, Any]) -> dict[str, Any]:
    return {"machine": {"cpu": "test cpu", "cores": 2, "machine": "x86_64", "time": time, "git_revision": rev},
            "quick": False, "results": results}


MEASURED = {"figure": "face", "unit": "ms", "median": 4.0, "ratio": 1.2}
SKIPPED = {"skipped": "no TFLite runtime: pip install ai-edge-litert", "seconds": 0.01}
LOOP = {"figure": "loop", "unit": "events/s", "median": 1000.0, "ratio": 0.5}


def test_compare_reports_skipped_entries_and_does_not_fail_on_them(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps(_report("2026-03-01T00:00:00Z", "aaaaaaa", face=MEASURED, loop=LOOP, voice=SKIPPED)))
    b.write_text(json.dumps(_report("2026-03-02T00:00:00Z", "bbbbbbb", face=SKIPPED, loop=LOOP, voice=SKIPPED)))
    assert main(["bench", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "skipped in B" in out and "skipped in A and B" in out and out.rstrip().endswith("0 regressed past 10%")
    assert main(["bench", "compare", str(b), str(a), "--json"]) == 0
    face = next(c for c in json.loads(capsys.readouterr().out)["changes"] if c["name"] == "face")
    assert face == {"name": "face", "unit": "ms", "better": "lower", "a": None, "b": 4.0, "change": None,
                    "verdict": "skipped in A"}


def test_trend_and_history_read_skipped_entries(tmp_path: Path) -> None:
    history, out = tmp_path / "history", tmp_path / "trend"
    write_history(_report("2026-03-01T00:00:00Z", "aaaaaaa", face=MEASURED, loop=LOOP, voice=SKIPPED), history)
    write_history(_report("2026-03-02T00:00:00Z", "bbbbbbb", face=SKIPPED, loop=LOOP, voice=SKIPPED), history)
    assert len(load_history(history)) == 2
    assert main(["bench", "trend", str(history), "--out", str(out)]) == 0
    assert sorted(png.name for png in out.glob("*.png")) == ["face.png", "loop.png"]  # voice: never measured
    page = (out / "index.html").read_text()
    assert "<td>4</td><td>ms</td><td>lower</td><td>-</td><td>1.2</td><td>03-01 aaaaaaa</td>" in page  # the last measured
    assert "<td>voice</td><td>skipped: no TFLite runtime: pip install ai-edge-litert</td>" in page
