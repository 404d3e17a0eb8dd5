"""``wabbit bench``: run the benchmarks and write JSON results with a machine fingerprint."""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from pathlib import Path

from appliance.errors import UsageError

HELP = "Run benchmarks (figure, reference and ratio measured in the same run) and write JSON."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="Fewer events and repeats (a smoke test).")
    parser.add_argument("--only", default="*", help="Glob of benchmark names to run (default: all).")
    parser.add_argument("--json", type=Path, help="Write the results here (default: print them).")
    parser.add_argument("--list", action="store_true", help="List the benchmark names and exit.")


def run(args: argparse.Namespace) -> int:
    from appliance.bench.measure import fingerprint
    from appliance.bench.registry import all_benchmarks

    BENCHMARKS = all_benchmarks()

    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    chosen = {name: fn for name, fn in BENCHMARKS.items() if fnmatch.fnmatch(name, args.only)}
    if not chosen:
        raise UsageError(f"no benchmark matches {args.only!r}; names: {', '.join(BENCHMARKS)}")
    results = {}
    for i, (name, fn) in enumerate(chosen.items(), start=1):
        if sys.stderr.isatty():
            print(f"[{i}/{len(chosen)}] {name} ...", file=sys.stderr, flush=True)
        results[name] = fn(args.quick)
    report = {"machine": fingerprint(), "quick": args.quick, "results": results}
    text = json.dumps(report, indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    else:
        print(text)
    return 0
