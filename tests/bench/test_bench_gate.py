"""``wabbit bench gate``: a clone whose last commit slows the example builder down fails the gate against its
parent; a shallow clone, a root commit and a change outside the code skip with a message; instruction counts,
under the real valgrind, are the same for the same code, and without valgrind the line says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.bench.gate import INSTRUCTION_THRESHOLD, GateSkipped, Line, instruction_line, ratio_direction, resolve_base, run_gate, table

ROOT = Path(__file__).resolve().parents[2]
WABBIT = [sys.executable, "-m", "appliance"]


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def _clone(tmp_path: Path, *args: str) -> Path:
    """A clone of this checkout's HEAD with the working tree's bench code, committed on top (so it runs the gate)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", *args, f"file://{ROOT}", str(clone)], check=True, capture_output=True)
    return clone


def test_a_root_commit_and_a_shallow_clone_skip_with_a_message(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "a.txt").write_text("a")
    _git(root, "add", "a.txt")
    _git(root, "commit", "-qm", "first")
    with pytest.raises(GateSkipped, match="a root commit has no parent"):
        resolve_base(root, "HEAD^")
    (root / "a.txt").write_text("b")
    _git(root, "commit", "-qam", "second")
    assert resolve_base(root, "HEAD^") == _git(root, "rev-parse", "HEAD^").strip()
    with pytest.raises(GateSkipped, match="no change to appliance, featurizers, pyproject.toml since"):
        run_gate(root, "HEAD^", rounds=1, threshold=0.5, count_instructions=False, log=lambda _: None)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(shallow)], check=True, capture_output=True)
    with pytest.raises(GateSkipped, match="not in this shallow clone: fetch more history"):
        resolve_base(shallow, "HEAD^")


def test_the_cli_on_a_shallow_clone_skips_and_passes(tmp_path: Path) -> None:
    clone = _clone(tmp_path, "--depth", "1")
    done = subprocess.run([*WABBIT, "bench", "gate"], cwd=clone, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(clone)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bench gate: skipped: HEAD^ is not in this shallow clone")


def test_ratio_direction_follows_what_the_ratio_divides() -> None:
    assert ratio_direction({"unit": "µs", "ratio_meaning": "ours / reference: overhead"}) == "lower"
    assert ratio_direction({"unit": "ms", "ratio_meaning": "reference / ours: speed-up"}) == "higher"
    assert ratio_direction({"unit": "events/s"}) == "higher"


def test_without_valgrind_theinstruction_line_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no valgrind here
    line = instruction_line(ROOT, ROOT, lambda _: None)
    assert (line.verdict, line.note) == ("skipped", "valgrind is not installed: apt-get install valgrind")
    text = table({"lines": [vars(line), vars(Line("vw.build_example", [0.25, 0.27], [0.5, 0.6], 2.1, "regressed"))]})
    assert text.splitlines()[1:] == [
        "instructions: loop, 2000 events  -     -     -         skipped: valgrind is not installed: apt-get install valgrind",
        "vw.build_example                 0.26  0.55  2.100x    regressed"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is missing: tests/apt/bench.txt installs it")
def test_the_same_code_counts_the_same_instructions_under_valgrind() -> None:
    """The gate's instruction line on both sides at once, as the gate runs it, with a small workload (about 35 s of
    CPU per side, nearly all of it the interpreter's start and imports under valgrind)."""
    logged: list[str] = []
    line = instruction_line(ROOT, ROOT, logged.append, events=100)
    assert line.note == "" and logged == ["loop instruction counts under valgrind (both sides at once: one core each)"]
    assert line.name == "instructions: loop, 100 events"
    base, new = line.base[0], line.new[0]
    assert base > 1e9 and new > 1e9  # the start and imports alone are about 2.2 billion
    assert line.factor == round(new / base, 4) and line.verdict == "within"
    assert abs(new / base - 1) < INSTRUCTION_THRESHOLD / 10, (base, new)  # noise far below the gate's threshold


@pytest.mark.slow
def test_a_commit_that_slows_the_example_builder_fails_the_gate(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    for path in ("appliance/bench/gate.py", "appliance/bench/instructions.py", "appliance/bench/isolated.py",
                 "appliance/cli/bench_gate.py", "appliance/cli/bench.py"):  # this working tree's gate, if uncommitted
        (clone / path).write_text((ROOT / path).read_text())
    _git(clone, "add", "-A")
    _git(clone, "commit", "-qm", "the gate", "--allow-empty")
    builder = clone / "appliance/policy/vw_examples.py"
    text = builder.read_text()
    assert "    def for_learn(" in text
    slow = text.replace("    def for_learn(", "    def for_learn(  # a regression: 0.3 ms of busy work per example\n"
                        "        self, *args: Any, **kwargs: Any) -> Any:\n"
                        "        import time\n        end = time.perf_counter() + 0.0003\n"
                        "        while time.perf_counter() < end:\n            pass\n"
                        "        return self._for_learn(*args, **kwargs)\n\n    def _for_learn(", 1)
    builder.write_text(slow)
    _git(clone, "commit", "-qam", "slower")
    out = tmp_path / "gate.json"
    done = subprocess.run([*WABBIT, "bench", "gate", "--rounds", "1", "--benchmarks", "vw.build_example",
                           "--no-instructions", "--json", str(out)], cwd=clone, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(clone)})
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["base"] == _git(clone, "rev-parse", "HEAD^").strip() and report["regressed"] == ["vw.build_example"]
    line = report["lines"][0]
    assert line["factor"] > 2 and line["verdict"] == "regressed"  # ~60 µs per example became ~360 µs
    assert "vw.build_example" in done.stdout and "1 regressed: vw.build_example" in done.stdout
    assert "wabbit-gate-" not in _git(clone, "worktree", "list")  # the parent's worktree is gone
