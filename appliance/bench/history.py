"""Benchmark reports on disk: which way is better, the history folder, loading and checking a report.

A report is what ``wabbit bench --json`` writes: ``{"machine": ..., "quick": ..., "results": {name: result}}``.
Each result has a headline ``median`` in ``unit``, or says why it was ``skipped`` (its backend is missing).
:func:`better` says whether a higher or a lower figure is the better one, from the unit, unless the benchmark
said so itself:

>>> better({"unit": "events/s"}), better({"unit": "ms"}), better({"unit": "bytes"}), better({"unit": "fps"})
('higher', 'lower', 'lower', 'higher')
>>> better({"unit": "µs/op"}), better({"unit": "MB"}), better({"unit": "reward"})
('lower', 'lower', 'higher')
>>> better({"unit": "decisions", "better": "lower"})
'lower'
>>> better({"unit": "furlongs"}) is None
True
>>> history_name({"time": "2026-11-21T19:40:12Z", "git_revision": "fa76143"})
'20261121T194012Z-fa76143.json'
>>> history_name({"time": "2026-11-21T19:40:12Z", "git_revision": "fa76143"}, label="vw 9.11.2")
'20261121T194012Z-fa76143-vw_9.11.2.json'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal, cast

from appliance.bench.skip import skip_reason
from appliance.errors import WabbitError

Better = Literal["higher", "lower"]

# Durations and sizes are better lower; rates ("x/s"), speed-ups and rewards are better higher.
_TIME = {"ns", "us", "µs", "ms", "s", "min", "h"}
_SIZE = {"bytes", "kb", "mb", "gb", "kib", "mib", "gib"}
_HIGHER = {"fps", "hz", "x", "reward"}


class BenchToolError(WabbitError, RuntimeError):
    """A benchmark tool (history, compare, trend, flame) could not do its job; the message says what to do."""


def better(result: dict[str, Any]) -> Better | None:
    """``"higher"`` or ``"lower"``: which way the result's ``median`` improves (``None`` for an unknown unit)."""
    given = result.get("better")
    if given in ("higher", "lower"):
        return cast(Better, given)
    unit = str(result.get("unit", "")).strip().lower()
    amount, _, per = unit.partition("/")
    if unit in _HIGHER or per in _TIME:
        return "higher"
    if amount in _TIME or amount in _SIZE:
        return "lower"
    return None


def annotate(result: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The result with ``better`` (when the unit tells) and the wall time the benchmark took, in ``seconds``.

    >>> annotate({"unit": "ms", "median": 2.0}, 1.234)
    {'unit': 'ms', 'median': 2.0, 'better': 'lower', 'seconds': 1.23}
    """
    direction = better(result)
    extra: dict[str, Any] = {"better": direction} if direction else {}
    return {**result, **extra, "seconds": round(seconds, 2)}


def history_name(machine: dict[str, Any], label: str | None = None) -> str:
    """``<UTC time>-<git revision>[-<label>].json`` for a report's machine fingerprint: sorts by time, names the
    commit, and the report's ``label`` when it has one (the VW release of a ``--vw`` run)."""
    stamp = re.sub(r"[-:]", "", str(machine.get("time") or "notime"))
    revision = re.sub(r"[^0-9A-Za-z._+-]", "_", str(machine.get("git_revision") or "norev"))
    suffix = "-" + re.sub(r"[^0-9A-Za-z._+-]", "_", label) if label else ""
    return f"{stamp}-{revision}{suffix}.json"


def write_history(report: dict[str, Any], folder: Path) -> Path:
    """Write ``report`` into the history ``folder`` (created if missing) and return the file's path."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / history_name(report["machine"], report.get("label"))
        path.write_text(json.dumps(report, indent=2) + "\n")
    except OSError as err:
        raise BenchToolError(f"cannot write the history file into {folder}: {err.strerror}; pass another "
                             "--history DIR") from None
    return path


def load_report(path: Path) -> dict[str, Any]:
    """Read and check one ``wabbit bench --json`` file; errors name the file and what is wrong with it."""
    try:
        text = path.read_text()
    except OSError as err:
        raise BenchToolError(f"cannot read {path}: {err.strerror}") from None
    try:
        report = json.loads(text)
    except json.JSONDecodeError as err:
        raise BenchToolError(f"{path}: not JSON (line {err.lineno}: {err.msg}); pass a file written by "
                             "`wabbit bench --json`") from None
    results = report.get("results") if isinstance(report, dict) else None
    if not isinstance(results, dict):
        raise BenchToolError(f"{path}: no \"results\" object; pass a file written by `wabbit bench --json`")
    for name, result in results.items():
        median = result.get("median") if isinstance(result, dict) else None
        if skip_reason(result) is None and (not isinstance(median, (int, float)) or isinstance(median, bool)):
            raise BenchToolError(f"{path}: results[{name!r}] has no numeric \"median\" and was not \"skipped\"; pass a "
                                 "file written by `wabbit bench --json`")
    return report  # type: ignore[no-any-return]


def load_history(folder: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every report in the history ``folder`` (``*.json``), oldest first by the time in its fingerprint, then by
    its ``order`` (the releases of one ``--vw`` run share a time and keep the order they were asked in)."""
    if not folder.is_dir():
        raise BenchToolError(f"{folder} is not a folder; pass the DIR given to `wabbit bench --history DIR`")
    reports = [(path, load_report(path)) for path in sorted(folder.glob("*.json"))]
    if not reports:
        raise BenchToolError(f"{folder} holds no *.json reports; fill it with `wabbit bench --history {folder}`")
    reports.sort(key=lambda item: (str((item[1].get("machine") or {}).get("time") or ""), int(item[1].get("order") or 0),
                                   item[0].name))
    return reports
