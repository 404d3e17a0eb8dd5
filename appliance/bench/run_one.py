"""Run one benchmark in this process: ``python -m appliance.bench.run_one NAME [--quick] [--result FILE]``.

``wabbit bench flame`` profiles this under py-spy. The result is printed as JSON, and written to ``FILE``
too when given (py-spy exits 0 whatever its child did, so the file is how the caller knows it finished).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.bench.run_one", description=__doc__)
    parser.add_argument("name", help="a benchmark name from `wabbit bench --list`")
    parser.add_argument("--quick", action="store_true", help="fewer events and repeats")
    parser.add_argument("--result", type=Path, help="also write the result JSON here")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from appliance.bench.registry import all_benchmarks
    from appliance.bench.skip import run_benchmark

    benchmarks = all_benchmarks()
    if args.name not in benchmarks:
        print(f"run_one: no benchmark named {args.name!r}; names: {', '.join(benchmarks)}", file=sys.stderr)
        return 2
    text = json.dumps(run_benchmark(benchmarks[args.name], args.quick), indent=2)
    print(text)
    if args.result:
        args.result.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
