"""``wabbit bench --vw``: one cached virtualenv per VW release, interleaved runs, the side-by-side table, trend.

The end-to-end test uses two releases that have wheels for CPython 3.11-3.13 on x86_64 (9.11.2 and 9.11.9: the
9.8-9.10 wheels stop at 3.10) and one that has none here (9.8.0), with the default cache folder, so the
environments are made once per machine (about 1-4 minutes each, by the load) and reused by every later run.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.bench.isolated import interleaved, run_isolated
from appliance.bench.venvs import EnvUnavailable, VersionEnv, default_cache, ensure_env, project_dependencies, requirements
from appliance.bench.versions import VersionsRun, skipped_lines

ROOT = Path(__file__).resolve().parents[2]
WABBIT = [sys.executable, "-m", "appliance"]
RELEASES = ("9.11.2", "9.11.9")


def test_requirements_replace_the_projects_vw_pin_and_keep_the_rest() -> None:
    deps = project_dependencies(ROOT)
    reqs = requirements(deps, "9.11.2")
    assert "vowpalwabbit==9.11.2" in reqs and not any(r.startswith("vowpalwabbit==9.11.9") for r in reqs)
    assert [r for r in reqs if not r.startswith("vowpalwabbit")] == [d for d in deps if not d.startswith("vowpalwabbit")]


def test_a_ready_environment_is_reused_and_an_unfinished_one_is_made_again(tmp_path: Path) -> None:
    reqs = requirements(project_dependencies(ROOT), "9.11.2")
    digest = hashlib.sha256("\n".join(reqs).encode()).hexdigest()[:10]
    folder = tmp_path / f"vw-9.11.2-py{sys.version_info.major}{sys.version_info.minor}-{digest}"
    folder.mkdir()
    (folder / "ready").write_text("{}")
    env, made = ensure_env(tmp_path, ROOT, "9.11.2")  # its ready marker: taken as it is, without pip
    assert (env, made) == (VersionEnv("9.11.2", folder), False) and env.python == folder / "bin" / "python"
    (folder / "ready").unlink()  # as an interrupted install leaves it
    (folder / "half-installed").write_text("")

    with pytest.raises(EnvUnavailable, match="cannot make a virtualenv"):
        ensure_env(tmp_path, ROOT, "9.11.2", python=str(tmp_path / "no-python"))
    assert not folder.exists()  # the unfinished folder was cleared, not trusted


def test_code_that_cannot_run_is_skipped_with_its_error(tmp_path: Path) -> None:
    run_one = tmp_path / "appliance" / "bench"
    run_one.mkdir(parents=True)
    (tmp_path / "appliance" / "__init__.py").write_text("")
    (run_one / "__init__.py").write_text("")
    (run_one / "run_one.py").write_text("raise AttributeError(\"module 'vowpalwabbit' has no attribute 'Workspace'\")\n")
    result = run_isolated(sys.executable, tmp_path, "vw.learn", quick=True, label="vowpalwabbit 8.11.0")
    assert result == {"skipped": "vowpalwabbit 8.11.0: the appliance's code cannot run vw.learn here: "
                                 "AttributeError: module 'vowpalwabbit' has no attribute 'Workspace'"}
    lines = skipped_lines(VersionsRun({"8.11.0": {"vw.learn": result}}, {"9.8.0": "no wheel"}))
    assert lines == ["vowpalwabbit 9.8.0: left out: no wheel", f"vowpalwabbit 8.11.0: vw.learn skipped: {result['skipped']}"]


def test_rounds_take_every_release_in_turn_and_reverse_the_order_every_other_round() -> None:
    order = list(interleaved(["9.11.2", "9.11.6", "9.11.9"], ["vw.learn", "loop.events_per_s"], 3))
    assert len(order) == 3 * 2 * 3
    by_round = [[f"{name} {release}" for r, name, release in order if r == round_] for round_ in range(3)]
    forward = ["vw.learn 9.11.2", "vw.learn 9.11.6", "vw.learn 9.11.9",
               "loop.events_per_s 9.11.2", "loop.events_per_s 9.11.6", "loop.events_per_s 9.11.9"]
    backward = ["vw.learn 9.11.9", "vw.learn 9.11.6", "vw.learn 9.11.2",
                "loop.events_per_s 9.11.9", "loop.events_per_s 9.11.6", "loop.events_per_s 9.11.2"]
    assert by_round == [forward, backward, forward]  # a benchmark on every release before the next benchmark
    assert list(interleaved(["base", "new"], ["vw.build_example"], 4)) == [  # the gate: base first in rounds 1 and 3
        (0, "vw.build_example", "base"), (0, "vw.build_example", "new"), (1, "vw.build_example", "new"),
        (1, "vw.build_example", "base"), (2, "vw.build_example", "base"), (2, "vw.build_example", "new"),
        (3, "vw.build_example", "new"), (3, "vw.build_example", "base")]


@pytest.mark.slow
def test_two_releases_side_by_side_and_one_that_does_not_install(tmp_path: Path) -> None:
    out, history = tmp_path / "vw.json", tmp_path / "history"
    proc = subprocess.run([*WABBIT, "bench", "--vw", ",".join(("9.8.0", *RELEASES)), "--quick", "--rounds", "1",
                           "--only", "vw.predict", "--json", str(out), "--history", str(history)],
                          capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    header, row = proc.stdout.splitlines()[:2]
    assert header.split() == ["benchmark", "unit", *RELEASES, RELEASES[1], "/", RELEASES[0]]
    cells = row.split()
    assert cells[:2] == ["vw.predict", "µs"] and float(cells[2]) > 0 and float(cells[3]) > 0
    assert float(cells[4]) == pytest.approx(float(cells[3]) / float(cells[2]), abs=0.01)
    assert "vowpalwabbit 9.8.0: left out: vowpalwabbit==9.8.0 cannot be installed" in proc.stderr
    report = json.loads(out.read_text())
    assert list(report["reports"]) == list(RELEASES) and "9.8.0" in report["unavailable"]
    for order, release in enumerate(RELEASES):
        one = report["reports"][release]
        assert one["machine"]["versions"]["vowpalwabbit"] == release and one["order"] == order
        assert one["results"]["vw.predict"]["median"] > 0 and len(one["results"]["vw.predict"]["rounds"]) == 1
    for release in RELEASES:  # made in the default cache, once per machine
        assert any(default_cache().glob(f"vw-{release}-*/ready"))
    files = sorted(p.name for p in history.glob("*.json"))
    assert [name.rsplit("-", 1)[1] for name in files] == [f"vw_{r}.json" for r in RELEASES]
    index = subprocess.run([*WABBIT, "bench", "trend", str(history), "--out", str(tmp_path / "trend")],
                           capture_output=True, text=True, timeout=300)
    assert index.returncode == 0, index.stderr
    page = (tmp_path / "trend" / "index.html").read_text()
    assert "vw 9.11.9" in page and (tmp_path / "trend" / "vw.predict.png").stat().st_size > 1000
