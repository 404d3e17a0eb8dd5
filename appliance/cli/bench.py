"""``wabbit bench``: run the benchmarks and write JSON results with a machine fingerprint; compare two
results, plot a history of them, or profile one benchmark into a flamegraph.

    wabbit bench [--quick] [--only PATTERN] [--json FILE] [--history DIR] [--list] [--libraries]
    wabbit bench --vw 9.11.2,9.11.9 [--rounds 3] [--envs DIR] [--quick] [--only PATTERN] [--json FILE] [--history DIR]
    wabbit bench gate [--base REV] [--rounds 5] [--threshold 0.15] [--json FILE]
    wabbit bench compare A.json B.json [--threshold 0.10] [--json]
    wabbit bench trend DIR [--out OUT_DIR]
    wabbit bench flame NAME [--out FILE.svg] [--quick] [--py-spy PATH]

>>> round(pi4_estimate(13.4, {"pi": None}), 1), pi4_estimate(50.0, {"pi": {"model": "Raspberry Pi 4 Model B Rev 1.5"}})
(53.6, 50.0)
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator, TextIO

from appliance.cli import bench_gate
from appliance.errors import UsageError

HELP = "Run benchmarks (figure, reference and ratio measured in the same run) and write JSON; compare, trend, flame."

# A Pi 4's Cortex-A72 at 1.8 GHz runs single-threaded Python about 4x slower than a current x86-64 server or
# desktop core (the benchmarks are mostly one thread): the factor from this machine's time to a Pi 4's.
PI4_FACTOR = 4.0


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (e.g. 0.10 for 10%)") from None
    if not 0 <= value < 10:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction between 0 and 10 (e.g. 0.10 for 10%)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="Fewer events and repeats (a smoke test).")
    parser.add_argument("--only", default="*", help="Glob of benchmark names to run (default: all).")
    parser.add_argument("--json", type=Path, help="Write the results here (default: print them).")
    parser.add_argument("--history", type=Path, metavar="DIR",
                        help="Also write the results as DIR/<UTC time>-<git revision>.json (for trend).")
    parser.add_argument("--list", action="store_true", help="List the benchmark names and exit.")
    parser.add_argument("--vw", metavar="VERSIONS",
                        help="Comma-separated vowpalwabbit releases (e.g. 9.11.2,9.11.9): run the VW and loop benchmarks "
                        "(or --only's) in one cached virtualenv per release, interleaved, and print them side by side.")
    parser.add_argument("--envs", type=Path, metavar="DIR",
                        help="Where --vw keeps its virtualenvs (default ~/.cache/raspberry-wabbit/bench-envs).")
    parser.add_argument("--rounds", type=int, default=3, help="With --vw: rounds over all releases (default 3).")
    parser.add_argument("--libraries", action="store_true",
                        help="Run the learning-quality suite (quality.* but the sweep, unless --only says otherwise) and print "
                             "every library and policy kind side by side: share of the oracle, decisions/s, model size.")
    sub = parser.add_subparsers(dest="bench_command", metavar="{compare,trend,flame,gate}", parser_class=type(parser))
    compare = sub.add_parser("compare", help="Compare two results; exit 1 if a figure regressed past the threshold.",
                             description="Per benchmark, B's headline median against A's. Exit 1 if any moved the "
                             "wrong way by more than the threshold, 2 on bad input.")
    compare.add_argument("a", type=Path, metavar="A.json", help="the baseline (`wabbit bench --json` output)")
    compare.add_argument("b", type=Path, metavar="B.json", help="the candidate")
    compare.add_argument("--threshold", type=_fraction, default=0.10,
                         help="Regression threshold as a fraction of A's median (default 0.10 = 10%%).")
    compare.add_argument("--json", dest="as_json", action="store_true", help="Print JSON instead of a table.")
    trend = sub.add_parser("trend", help="PNG per benchmark and a static index.html from a history folder.",
                           description="Plot every run in a --history folder: one PNG per benchmark and an "
                           "index.html with the latest values (matplotlib, from the bench extra).")
    trend.add_argument("history_dir", type=Path, metavar="DIR", help="a folder filled by `wabbit bench --history`")
    trend.add_argument("--out", type=Path, default=Path("bench-trend"), help="Output folder (default bench-trend).")
    flame = sub.add_parser("flame", help="Profile one benchmark with py-spy into a flamegraph SVG.",
                           description="Run one benchmark under `py-spy record` (from the bench extra).")
    flame.add_argument("name", help="a benchmark name from `wabbit bench --list`")
    flame.add_argument("--out", type=Path, help="The SVG to write (default flame-NAME.svg).")
    flame.add_argument("--quick", action="store_true", help="Profile the --quick variant.")
    flame.add_argument("--py-spy", dest="py_spy", help="The py-spy executable (default: next to python, or PATH).")
    bench_gate.add_arguments(sub)


def pi4_estimate(seconds: float, machine: dict[str, Any]) -> float:
    """How long a run taking ``seconds`` on ``machine`` (a fingerprint) would take on a Raspberry Pi 4."""
    model = str((machine.get("pi") or {}).get("model") or "")
    return seconds if "Raspberry Pi 4" in model else seconds * PI4_FACTOR


@contextlib.contextmanager
def _progress(stream: TextIO, step: str) -> Iterator[None]:
    """On a terminal, ``[i/n] name ... 3 s`` redrawn every second, then the seconds it took; else nothing."""
    if not stream.isatty():
        yield
        return
    start, done = time.monotonic(), threading.Event()

    def draw() -> None:
        while not done.wait(1.0):
            stream.write(f"\r{step} ... {time.monotonic() - start:.0f} s")
            stream.flush()

    stream.write(f"{step} ...")
    stream.flush()
    ticker = threading.Thread(target=draw, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        stream.write(f"\r{step} {time.monotonic() - start:.1f} s\033[K\n")
        stream.flush()


def _benchmarks(args: argparse.Namespace) -> int:
    from appliance.bench.history import BenchToolError, annotate, write_history
    from appliance.bench.measure import fingerprint
    from appliance.bench.registry import all_benchmarks
    from appliance.bench.skip import run_benchmark, skip_reason

    benchmarks = all_benchmarks()
    if args.list:
        print("\n".join(benchmarks))
        return 0
    if args.libraries and args.only == "*":
        from appliance.bench.quality_bench import BENCHMARKS as SUITE

        chosen = {name: benchmarks[name] for name in SUITE}
    else:
        chosen = {name: fn for name, fn in benchmarks.items() if fnmatch.fnmatch(name, args.only)}
    if not chosen:
        raise UsageError(f"no benchmark matches {args.only!r}; names: {', '.join(benchmarks)}")
    results = {}
    started = time.monotonic()
    for i, (name, fn) in enumerate(chosen.items(), start=1):
        with _progress(sys.stderr, f"[{i}/{len(chosen)}] {name}"):
            t0 = time.monotonic()
            results[name] = annotate(run_benchmark(fn, args.quick), time.monotonic() - t0)
        reason = skip_reason(results[name])
        if reason:
            print(f"skipped {name}: {reason}", file=sys.stderr)
    total = time.monotonic() - started
    machine = fingerprint()
    report: dict[str, Any] = {"machine": machine, "quick": args.quick, "total_s": round(total, 1)}
    if args.quick:
        report["quick_estimate_pi4_s"] = round(pi4_estimate(total, machine), 1)
    report["results"] = results
    if sys.stderr.isatty():
        estimate = f" (a Pi 4: about {report['quick_estimate_pi4_s']:.0f} s)" if args.quick else ""
        print(f"{len(chosen)} benchmark{'s' if len(chosen) > 1 else ''} in {total:.1f} s{estimate}", file=sys.stderr)
    text = json.dumps(report, indent=2)
    if args.history:
        print(f"history: {write_history(report, args.history)}", file=sys.stderr)
    if args.json:
        try:
            args.json.write_text(text + "\n")
        except OSError as err:
            raise BenchToolError(f"cannot write {args.json}: {err.strerror}") from None
    elif not args.libraries:
        print(text)
    if args.libraries:
        from appliance.bench.libraries import libraries_table

        print(libraries_table(results))
    return 0


def _compare(args: argparse.Namespace) -> int:
    from appliance.bench.compare import caveats, compare, table
    from appliance.bench.history import load_report

    a, b = load_report(args.a), load_report(args.b)
    changes = compare(a["results"], b["results"], args.threshold)
    regressed = [c.name for c in changes if c.verdict == "regressed"]
    notes = caveats(a, b)
    if args.as_json:
        print(json.dumps({"a": str(args.a), "b": str(args.b), "threshold": args.threshold, "regressed": regressed,
                          "caveats": notes, "changes": [c.as_dict() for c in changes]}, indent=2))
    else:
        print(table(changes))
        for note in notes:
            print(f"note: {note}")
        summary = f"{len(regressed)} regressed past {args.threshold:.0%}"
        print(summary + (f": {', '.join(regressed)}" if regressed else ""))
    return 1 if regressed else 0


def _trend(args: argparse.Namespace) -> int:
    from appliance.bench.trend import trend

    print(trend(args.history_dir, args.out))
    return 0


def _flame(args: argparse.Namespace) -> int:
    from appliance.bench.flame import record
    from appliance.bench.registry import all_benchmarks

    names = all_benchmarks()
    if args.name not in names:
        raise UsageError(f"no benchmark named {args.name!r}; names: {', '.join(names)}")
    out = args.out or Path(f"flame-{args.name}.svg")
    with _progress(sys.stderr, f"py-spy record {args.name}"):
        print(record(args.name, out, quick=args.quick, py_spy=args.py_spy))
    return 0


def _versions_or_benchmarks(args: argparse.Namespace) -> int:
    if args.vw and not args.list:
        from appliance.cli import bench_versions

        return bench_versions.run(args)
    return _benchmarks(args)


def run(args: argparse.Namespace) -> int:
    commands = {"compare": _compare, "trend": _trend, "flame": _flame, "gate": bench_gate.run}
    return commands.get(args.bench_command, _versions_or_benchmarks)(args)
