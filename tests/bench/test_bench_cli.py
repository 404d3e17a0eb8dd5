"""``wabbit bench`` and its tools: the quick run as CI's smoke test, progress on a terminal, the history
folder, compare's exit codes, trend's PNGs and page, and the flamegraph helper (real py-spy)."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appliance.bench.flame import denied, find_py_spy
from appliance.bench.history import history_name, load_history, write_history
from appliance.cli import main
from appliance.cli.bench import PI4_FACTOR
from tests.bench.quick import QuickRun

WABBIT = [sys.executable, "-m", "appliance"]
FAST = "featurizers.video_featurizer_640x480"  # about a second with --quick
PNG = b"\x89PNG\r\n\x1a\n"
# What py-spy 0.4.3 prints on stderr, exit code 1, when ptrace is refused (see test_real_py_spy_denial_is_recognised).
PY_SPY_DENIED = "Permission Denied: Try running again with elevated permissions by going 'sudo env \"PATH=$PATH\" !!'"


def _report(time: str, rev: str, quick: bool = False, **medians: tuple[float, str]) -> dict[str, Any]:
    results = {name.replace("_", "."): {"figure": name, "unit": unit, "median": median, "p95": median * 1.1,
                                        "repeats": 3, "ratio": 1.0} for name, (median, unit) in medians.items()}
    return {"machine": {"cpu": "test cpu", "cores": 2, "machine": "x86_64", "time": time, "git_revision": rev},
            "quick": quick, "results": results}


def _write(path: Path, report: dict[str, Any]) -> Path:
    path.write_text(json.dumps(report))
    return path


# --- the run itself -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_quick_run_writes_a_complete_report_and_its_history(quick_run: QuickRun) -> None:
    names = subprocess.run([*WABBIT, "bench", "--list"], check=True, capture_output=True, text=True).stdout.split()
    assert "[1/" not in quick_run.proc.stderr  # no progress when stderr is not a terminal
    report, out, history = quick_run.report, quick_run.history.parent / "quick.json", quick_run.history
    assert report["quick"] is True and list(report["results"]) == names
    machine = report["machine"]
    assert machine["cpu"] and machine["cores"] >= 1 and machine["python"] == sys.version.split()[0]
    assert machine["versions"]["vowpalwabbit"] and re.fullmatch(r"[0-9a-f]{7,}", machine["git_revision"] or "")
    for name, result in report["results"].items():
        assert isinstance(result["figure"], str) and result["figure"], name
        assert isinstance(result["median"], (int, float)) and result["median"] > 0, name
        assert result["better"] in ("higher", "lower"), f"{name}: unit {result['unit']!r} has no direction"
        assert result["seconds"] > 0 and "reference" in result, name
    total = report["total_s"]
    assert sum(r["seconds"] for r in report["results"].values()) <= total + 0.5
    assert report["quick_estimate_pi4_s"] == pytest.approx(total * PI4_FACTOR, abs=0.3)
    files = list(history.iterdir())
    assert [f.name for f in files] == [history_name(machine)] and json.loads(files[0].read_text()) == report
    # A report compared with itself: nothing regressed.
    same = subprocess.run([*WABBIT, "bench", "compare", str(out), str(files[0])], capture_output=True, text=True)
    assert same.returncode == 0 and "0 regressed past 10%" in same.stdout


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return proc.wait(60), b"".join(chunks).decode()


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    args = [*WABBIT, "bench", "--quick", "--only", FAST, "--json", str(tmp_path / "r.json")]
    code, shown = _run_on_a_terminal(args)
    assert code == 0, shown
    assert f"[1/1] {FAST} ..." in shown
    assert re.search(rf"\[1/1\] {re.escape(FAST)} \d+\.\d s", shown), shown
    assert re.search(r"1 benchmark in \d+\.\d s \(a Pi 4: about \d+ s\)", shown), shown
    piped = subprocess.run(args, capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""


def test_unknown_pattern_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--only", "nope*"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no benchmark matches 'nope*'" in err and "loop.events_per_s" in err


# --- history --------------------------------------------------------------------------------------------------


def test_history_files_are_named_by_time_and_revision_and_load_oldest_first(tmp_path: Path) -> None:
    newer = write_history(_report("2026-03-02T10:00:00Z", "bbbbbbb", a=(1.0, "ms")), tmp_path)
    older = write_history(_report("2026-03-01T09:30:05Z", "aaaaaaa", a=(2.0, "ms")), tmp_path)
    assert (older.name, newer.name) == ("20260301T093005Z-aaaaaaa.json", "20260302T100000Z-bbbbbbb.json")
    (tmp_path / "00-renamed.json").write_text(newer.read_text())  # names may sort wrong: the fingerprint decides
    newer.unlink()
    loaded = load_history(tmp_path)
    assert [report["machine"]["git_revision"] for _, report in loaded] == ["aaaaaaa", "bbbbbbb"]
    assert history_name({"time": None, "git_revision": None}) == "notime-norev.json"


# --- compare --------------------------------------------------------------------------------------------------


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return _write(tmp_path / "a.json", _report("2026-03-01T00:00:00Z", "aaaaaaa", loop=(1000.0, "events/s"),
                                               http=(2.0, "ms"), mem=(30_000.0, "bytes")))


def _candidate(tmp_path: Path, loop: float, http: float) -> Path:
    return _write(tmp_path / "b.json", _report("2026-03-02T00:00:00Z", "bbbbbbb", loop=(loop, "events/s"),
                                               http=(http, "ms"), mem=(30_000.0, "bytes")))


def test_compare_fails_on_a_throughput_drop_past_the_threshold(baseline: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "compare", str(baseline), str(_candidate(tmp_path, 850.0, 2.0))]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^loop +1000 +850 +events/s +-15\.0% +regressed \(higher is better\)$", out, re.M), out
    assert re.search(r"^http +2 +2 +ms +\+0\.0% +within$", out, re.M), out
    assert out.rstrip().endswith("1 regressed past 10%: loop")


def test_compare_fails_on_a_latency_rise_and_passes_within_or_improved(baseline: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "compare", str(baseline), str(_candidate(tmp_path, 1000.0, 2.3))]) == 1  # +15% ms
    assert main(["bench", "compare", str(baseline), str(_candidate(tmp_path, 950.0, 2.1))]) == 0  # -5%, +5%
    assert main(["bench", "compare", str(baseline), str(_candidate(tmp_path, 950.0, 2.1)), "--threshold", "0.01"]) == 1
    assert main(["bench", "compare", str(baseline), str(_candidate(tmp_path, 2000.0, 1.0))]) == 0  # both improved
    assert "improved" in capsys.readouterr().out


def test_compare_json_lists_the_regressions(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    candidate = _candidate(tmp_path, 700.0, 2.0)
    assert main(["bench", "compare", str(baseline), str(candidate), "--json", "--threshold", "0.2"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["regressed"] == ["loop"] and data["threshold"] == 0.2
    loop = next(c for c in data["changes"] if c["name"] == "loop")
    assert loop["better"] == "higher" and loop["change"] == pytest.approx(-0.3) and loop["verdict"] == "regressed"


@pytest.mark.parametrize("content, message", [
    ('{"results": ', "not JSON (line 1"),
    ('{"machine": {}}', 'no "results" object'),
    ('{"results": {"x": {"unit": "ms"}}}', "results['x'] has no numeric \"median\""),
    (None, "cannot read"),
])
def test_compare_rejects_a_bad_file_in_one_line(baseline: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                content: str | None, message: str) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)
    assert main(["bench", "compare", str(baseline), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err and message in err, err


def test_compare_rejects_a_bad_threshold(baseline: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "compare", str(baseline), str(baseline), "--threshold", "ten"])
    assert exited.value.code == 2 and "not a number: 'ten'" in capsys.readouterr().err


# --- trend ----------------------------------------------------------------------------------------------------


def test_trend_writes_real_pngs_and_a_static_page(tmp_path: Path) -> None:
    history, out = tmp_path / "history", tmp_path / "trend"
    write_history(_report("2026-03-01T00:00:00Z", "aaaaaaa", loop=(1000.0, "events/s")), history)
    write_history(_report("2026-03-02T00:00:00Z", "bbbbbbb", True, loop=(900.0, "events/s"), http=(2.5, "ms")), history)
    write_history(_report("2026-03-03T00:00:00Z", "ccccccc", loop=(1100.0, "events/s"), http=(2.0, "ms")), history)
    assert main(["bench", "trend", str(history), "--out", str(out)]) == 0
    from matplotlib import image

    for name in ("loop", "http"):
        png = out / f"{name}.png"
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 10_000
        height, width, _ = image.imread(png).shape
        assert (width, height) == (800, 360)
    page = (out / "index.html").read_text()
    assert re.findall(r'<img src="([^"]+)"', page) == ["loop.png", "http.png"]
    assert "<td>1100</td><td>events/s</td><td>higher</td><td>+22.2%</td>" in page  # vs the previous run
    assert "<td>2</td><td>ms</td><td>lower</td><td>-20.0%</td>" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_trend_of_an_empty_folder_says_how_to_fill_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "trend", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert f"holds no *.json reports; fill it with `wabbit bench --history {tmp_path}`" in capsys.readouterr().err


# --- flame ----------------------------------------------------------------------------------------------------


def _ptrace_works(py_spy: str) -> bool:
    probe = subprocess.run([py_spy, "dump", "--pid", str(os.getpid())], capture_output=True, text=True)
    return probe.returncode == 0


def test_flame_writes_a_flamegraph_of_the_benchmark(tmp_path: Path) -> None:
    py_spy = find_py_spy()
    if py_spy is None or not _ptrace_works(py_spy):
        pytest.skip("py-spy missing or not allowed to ptrace here (the denial path is tested below)")
    out = tmp_path / "video.svg"
    proc = subprocess.run([*WABBIT, "bench", "flame", FAST, "--quick", "--out", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out)
    svg = out.read_text()
    assert svg.startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
    assert "run_one" in svg and "bench_video" in svg and "features" in svg  # the benchmark's own frames


def test_flame_explains_a_ptrace_denial(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stand_in = tmp_path / "py-spy"  # replays what the real py-spy prints when ptrace is refused
    stand_in.write_text(f"#!/bin/sh\ncat >&2 <<'EOF'\n{PY_SPY_DENIED}\nEOF\nexit 1\n")
    stand_in.chmod(0o755)
    assert main(["bench", "flame", FAST, "--py-spy", str(stand_in), "--out", str(tmp_path / "f.svg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "py-spy is not allowed to ptrace the benchmark process" in err
    assert f'sudo env "PATH=$PATH" wabbit bench flame {FAST}' in err and "kernel.yama.ptrace_scope=1" in err
    assert "--cap-add SYS_PTRACE" in err


def test_flame_reports_a_benchmark_that_did_not_finish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stand_in = tmp_path / "py-spy"  # like py-spy when its child fails: a flamegraph, exit code 0
    stand_in.write_text("#!/bin/sh\necho '<svg/>' > \"$3\"\necho 'RuntimeError: boom' >&2\nexit 0\n")
    stand_in.chmod(0o755)
    out = tmp_path / "f.svg"
    assert main(["bench", "flame", FAST, "--py-spy", str(stand_in), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"benchmark {FAST} failed under py-spy (RuntimeError: boom); the partial flamegraph is in {out}" in err


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root to run as nobody")
def test_real_py_spy_denial_is_recognised(tmp_path: Path) -> None:
    """The real py-spy, as an unprivileged user, on a root process: the output flame looks for is what it says."""
    py_spy = find_py_spy()
    if py_spy is None:
        pytest.skip("py-spy is not installed")
    target = subprocess.Popen(["sleep", "30"])
    try:
        proc = subprocess.run(["runuser", "-u", "nobody", "--", py_spy, "record", "-o", str(tmp_path / "x.svg"),
                               "--pid", str(target.pid)], capture_output=True, text=True, timeout=30)
    finally:
        target.kill()
        target.wait()
    assert proc.returncode != 0 and denied(proc.stderr), proc.stderr
    assert PY_SPY_DENIED in proc.stderr


def test_flame_without_py_spy_or_with_an_unknown_benchmark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "flame", FAST, "--py-spy", str(tmp_path / "missing")]) == 2
    assert "cannot run py-spy at" in capsys.readouterr().err
    assert main(["bench", "flame", "nope"]) == 2
    assert "no benchmark named 'nope'" in capsys.readouterr().err
