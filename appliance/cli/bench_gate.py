"""``wabbit bench gate``: this checkout's code against its parent commit's (:mod:`appliance.bench.gate`).

Exit 0 when nothing regressed past the threshold or the gate had nothing to compare with (it says why), 1 when
something regressed, 2 on bad input. ``.ci/run`` calls it after the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from appliance.errors import UsageError


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``gate`` subcommand; its defaults are :mod:`appliance.bench.gate`'s, imported only when it runs."""
    gate = sub.add_parser("gate", help="This checkout against its parent commit, interleaved; exit 1 on a regression.",
                          description="Run a short benchmark set (the loop, the VW example builder, the DSJSON log) on "
                          "this checkout's code and on the base commit's (a temporary git worktree) in turn, compare "
                          "each benchmark's ratio round by round, and count the loop's instructions under valgrind on "
                          "both sides.")
    gate.add_argument("--base", default="HEAD^", help="The commit to compare with (default HEAD^, the parent).")
    gate.add_argument("--rounds", type=int, default=5, help="Rounds over both sides (default 5).")
    gate.add_argument("--threshold", type=float, help="Fail past this slowdown, as a fraction (default 0.5: 1.5x).")
    gate.add_argument("--benchmarks", help="Comma-separated benchmark names instead of the default set.")
    gate.add_argument("--no-instructions", dest="instructions", action="store_false",
                      help="Skip the instruction counts (valgrind).")
    gate.add_argument("--json", dest="gate_json", type=Path, help="Also write the gate's report here.")


def run(args: argparse.Namespace) -> int:
    from appliance.bench.gate import GATE_SET, THRESHOLD, GateSkipped, run_gate, table
    from appliance.bench.history import BenchToolError

    threshold = THRESHOLD if args.threshold is None else args.threshold
    if args.rounds < 1 or not 0 < threshold < 10:
        raise UsageError("--rounds must be at least 1 and --threshold a fraction such as 0.5")
    names = GATE_SET if not args.benchmarks else tuple(n.strip() for n in args.benchmarks.split(",") if n.strip())
    repo = Path(__file__).resolve().parents[2]
    try:
        report = run_gate(repo, args.base, args.rounds, threshold, args.instructions,
                          lambda line: print(f"bench gate: {line}", file=sys.stderr, flush=True), names)
    except GateSkipped as err:
        print(f"bench gate: skipped: {err}")
        return 0
    print(f"bench gate: this checkout against {report['base'][:12]}, {report['rounds']} rounds, interleaved")
    print(table(report))
    regressed = report["regressed"]
    print(f"bench gate: {len(regressed)} regressed" + (f": {', '.join(regressed)}" if regressed else ""))
    if args.gate_json:
        try:
            args.gate_json.write_text(json.dumps(report, indent=2) + "\n")
        except OSError as err:
            raise BenchToolError(f"cannot write {args.gate_json}: {err.strerror}") from None
    return 1 if regressed else 0
