"""``wabbit bench --vw 9.11.2,9.11.9``: the benchmarks across Vowpal Wabbit releases (:mod:`appliance.bench.versions`).

The side-by-side table goes to stdout, progress and what was skipped to stderr; ``--json FILE`` writes every
release's report in one file, ``--history DIR`` one file per release, which ``wabbit bench trend DIR`` plots.

>>> releases("9.11.2, 9.11.9,9.11.2")
['9.11.2', '9.11.9']
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path
from typing import Any

from appliance.errors import UsageError


def releases(text: str) -> list[str]:
    """The releases of ``--vw``, checked, duplicates dropped, in the order given."""
    from appliance.bench.history import BenchToolError
    from appliance.bench.venvs import check_version

    try:
        versions = list(dict.fromkeys(check_version(part) for part in text.split(",") if part.strip()))
    except BenchToolError as err:
        raise UsageError(f"--vw: {err}") from None
    if not versions:
        raise UsageError("--vw needs at least one release, e.g. --vw 9.11.2,9.11.9")
    return versions


def run(args: argparse.Namespace) -> int:
    from appliance.bench.history import BenchToolError, write_history
    from appliance.bench.registry import all_benchmarks
    from appliance.bench.venvs import default_cache
    from appliance.bench.versions import DEFAULT_SET, reports, run_versions, side_by_side, skipped_lines

    versions = releases(args.vw)
    if args.rounds < 1:
        raise UsageError("--rounds must be at least 1")
    patterns = DEFAULT_SET if args.only == "*" else (args.only,)
    names = [name for name in all_benchmarks() if any(fnmatch.fnmatch(name, p) for p in patterns)]
    if not names:
        raise UsageError(f"no benchmark matches {args.only!r}; `wabbit bench --list` names them")
    checkout = Path(__file__).resolve().parents[2]
    if not (checkout / "pyproject.toml").exists():
        raise UsageError(f"--vw runs the benchmarks from a checkout; {checkout} has no pyproject.toml")
    outcome = run_versions(versions, names, checkout, args.envs or default_cache(), args.quick, args.rounds,
                           lambda line: print(line, file=sys.stderr))
    per_release = reports(outcome, args.quick)
    if outcome.results:
        print(side_by_side(outcome.results))
    for line in skipped_lines(outcome):
        print(line, file=sys.stderr if outcome.results else sys.stdout)
    if args.history:
        for report in per_release.values():
            print(f"history: {write_history(report, args.history)}", file=sys.stderr)
    if args.json:
        combined: dict[str, Any] = {"quick": args.quick, "rounds": args.rounds, "versions": versions,
                                    "unavailable": outcome.unavailable, "reports": per_release}
        try:
            args.json.write_text(json.dumps(combined, indent=2) + "\n")
        except OSError as err:
            raise BenchToolError(f"cannot write {args.json}: {err.strerror}") from None
    return 0 if outcome.results else 1
