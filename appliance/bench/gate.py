"""The regression gate: this checkout's code against its parent commit's, measured in the same run, in turn.

The parent's code is checked out into a temporary git worktree. Each round runs every benchmark of
:data:`GATE_SET` on both sides, one after the other (the order swapped every round), so a slow spell of a
shared machine hits both. The gate compares each benchmark's own ``ratio`` (its figure over a reference
measured in the same process, which already cancels much of the machine's speed) between the two sides of
a round, and takes the median over the rounds: the *slowdown* is how many times worse the new code is (1.00:
the same). It fails past ``1 + threshold``; the threshold comes from A/A runs (both sides the same code) on the
2-core CI machine, see docs/benchmarks.md. As a second signal that load does not move, instruction counts of
the hottest paths (:mod:`appliance.bench.instructions`: the loop, and a decide over HTTP) are compared with a
much tighter threshold.

>>> slowdown([1.0, 1.0, 1.0], [1.3, 1.2, 1.1], "lower"), slowdown([10.0, 10.0], [5.0, 5.0], "higher")
(1.2, 2.0)
>>> verdict(1.5, 0.35), verdict(1.1, 0.35), verdict(0.6, 0.35)
('regressed', 'within', 'improved')
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from appliance.bench.history import BenchToolError, better
from appliance.bench.instructions import ValgrindMissing, instructions
from appliance.bench.isolated import interleaved, run_isolated
from appliance.bench.skip import skip_reason

GATE_SET = ("loop.events_per_s", "vw.build_example", "dsjson.append")
"""The hottest paths: the whole loop (decide, join, learn, log), our VW example builder, the DSJSON log."""
THRESHOLD = 0.5
"""Fail past a 1.5x slowdown: A/A gates of 5 rounds (the same code on both sides) on the 2-core machine under a
load average of 14 moved up to 1.42x (dsjson.append), 1.38x (vw.build_example), 1.27x (the loop); see docs."""
INSTRUCTION_THRESHOLD = 0.01
"""Fail past 1 % more instructions: two cachegrind runs of the same code differ by far less (see docs)."""
INSTRUCTION_EVENTS = 2000
INSTRUCTION_WORKLOADS = ("loop", "http")
"""Counted on both sides: the loop's events, and ``POST /api/decide`` through the daemon's HTTP front (a base commit
without the ``http`` workload skips its line)."""
CODE = ("appliance", "featurizers", "pyproject.toml")
"""What the gate measures: a change elsewhere (docs, tests, images) is not measured."""

Log = Callable[[str], None]


class GateSkipped(BenchToolError):
    """The gate cannot compare (no parent commit: a root commit or a shallow clone); not a failure."""


def slowdown(base: list[float], new: list[float], direction: str) -> float:
    """The median over rounds of how many times worse ``new`` is than ``base`` (below 1: better)."""
    factors = [(n / b if direction == "lower" else b / n) for b, n in zip(base, new) if b and n]
    return round(statistics.median(factors), 4)


def verdict(factor: float, threshold: float) -> str:
    """``regressed`` past ``1 + threshold``, ``improved`` below ``1 / (1 + threshold)``, else ``within``."""
    if factor > 1 + threshold:
        return "regressed"
    return "improved" if factor < 1 / (1 + threshold) else "within"


def ratio_direction(result: dict[str, Any]) -> str | None:
    """Which way the result's ``ratio`` improves: its figure's way, flipped when the ratio is reference / ours."""
    direction = better(result)
    if direction and str(result.get("ratio_meaning", "")).startswith("reference / ours"):
        return "lower" if direction == "higher" else "higher"
    return direction


@dataclass
class Line:
    """One benchmark (or instruction count) of the gate: each side's values and the verdict."""

    name: str
    base: list[float] = field(default_factory=list)
    new: list[float] = field(default_factory=list)
    factor: float | None = None
    verdict: str = "skipped"
    note: str = ""


def resolve_base(repo: Path, rev: str) -> str:
    """The full hash of ``rev`` in ``repo``; :class:`GateSkipped` when it is missing (root commit, shallow clone)."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)

    found = git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if found.returncode == 0:
        return found.stdout.strip()
    if git("rev-parse", "--is-inside-work-tree").returncode != 0:
        raise GateSkipped(f"{repo} is not a git checkout: nothing to compare with")
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        raise GateSkipped(f"{rev} is not in this shallow clone: fetch more history (git fetch --deepen=1) to gate")
    raise GateSkipped(f"{rev} does not exist (a root commit has no parent): nothing to compare with")


@contextlib.contextmanager
def worktree(repo: Path, commit: str) -> Iterator[Path]:
    """``commit`` checked out into a temporary worktree of ``repo``, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="wabbit-gate-"))
    path = folder / "base"
    added = subprocess.run(["git", "-C", str(repo), "worktree", "add", "--detach", "--quiet", str(path), commit],
                           capture_output=True, text=True, timeout=120)
    if added.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise BenchToolError(f"cannot check out {commit[:12]} into a worktree: {added.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(repo), "worktree", "remove", "--force", str(path)], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def compile_all(checkout: Path) -> None:
    """Byte-compile the checkout's packages first, so neither side pays (or counts) compiling them."""
    for package in ("appliance", "featurizers"):
        if (checkout / package).is_dir():
            subprocess.run([sys.executable, "-m", "compileall", "-q", package], cwd=checkout, capture_output=True,
                           timeout=300)


def _benchmark_lines(base: Path, new: Path, names: tuple[str, ...], rounds: int, threshold: float, log: Log) -> list[Line]:
    results: dict[str, dict[str, list[dict[str, Any]]]] = {name: {"base": [], "new": []} for name in names}
    checkouts = {"base": base, "new": new}
    for round_, name, side in interleaved(list(checkouts), names, rounds):
        log(f"round {round_ + 1}/{rounds} {name} ({side})")
        results[name][side].append(run_isolated(sys.executable, checkouts[side], name, True, f"{side} code"))
    lines = []
    for name in names:
        runs = results[name]["base"] + results[name]["new"]
        reasons = [reason for r in runs if (reason := skip_reason(r))]
        line = Line(name)
        direction = ratio_direction(runs[-1]) if not reasons else None
        if reasons or direction is None:
            line.note = reasons[0] if reasons else "no direction"
        else:
            line.base = [float(r["ratio"]) for r in results[name]["base"]]
            line.new = [float(r["ratio"]) for r in results[name]["new"]]
            line.factor = slowdown(line.base, line.new, direction)
            line.verdict = verdict(line.factor, threshold)
        lines.append(line)
    return lines


def instruction_line(base: Path, new: Path, log: Log, events: int = INSTRUCTION_EVENTS, workload: str = "loop") -> Line:
    """Both sides' instruction counts of ``events`` of ``workload`` under valgrind, and the verdict on their ratio."""
    line = Line(f"instructions: {workload}, {events} events")
    try:
        log(f"{workload} instruction counts under valgrind (both sides at once: one core each)")
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(lambda checkout: instructions(workload, events, checkout), (base, new)))
        line.base, line.new = [float(counts[0])], [float(counts[1])]
    except (ValgrindMissing, RuntimeError, ValueError, subprocess.SubprocessError) as err:
        line.note = str(err)
        return line
    line.factor = round(line.new[0] / line.base[0], 4)
    line.verdict = verdict(line.factor, INSTRUCTION_THRESHOLD)
    return line


def run_gate(repo: Path, rev: str, rounds: int, threshold: float, count_instructions: bool, log: Log,
             names: tuple[str, ...] = GATE_SET) -> dict[str, Any]:
    """The gate's report: the base commit, each line, and ``regressed`` (the names that failed)."""
    commit = resolve_base(repo, rev)
    unchanged = subprocess.run(["git", "-C", str(repo), "diff", "--quiet", commit, "--", *CODE], capture_output=True,
                               timeout=60)
    if unchanged.returncode == 0:
        raise GateSkipped(f"no change to {', '.join(CODE)} since {commit[:12]}: nothing to measure")
    with worktree(repo, commit) as base:
        for checkout in (base, repo):
            compile_all(checkout)
        lines = _benchmark_lines(base, repo, names, rounds, threshold, log)
        if count_instructions:
            lines += [instruction_line(base, repo, log, workload=workload) for workload in INSTRUCTION_WORKLOADS]
    return {"base": commit, "rounds": rounds, "threshold": threshold, "instruction_threshold": INSTRUCTION_THRESHOLD,
            "lines": [asdict(line) for line in lines],
            "regressed": [line.name for line in lines if line.verdict == "regressed"]}


def table(report: dict[str, Any]) -> str:
    """The gate's lines as plain text: base and new medians, the slowdown, the verdict or why it was skipped."""
    def num(values: list[float]) -> str:
        return f"{statistics.median(values):.4g}" if values else "-"

    rows = [["check", "base", "new", "slowdown", "verdict"]]
    for line in report["lines"]:
        factor = "-" if line["factor"] is None else f"{line['factor']:.3f}x"
        note = f"skipped: {line['note']}" if line["verdict"] == "skipped" else line["verdict"]
        rows.append([line["name"], num(line["base"]), num(line["new"]), factor, note])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row[:4], widths)) + "  " + row[4] for row in rows)
