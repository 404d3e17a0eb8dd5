"""``wabbit replay LOG``: rebuild a model from a DSJSON log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "Rebuild a model from a DSJSON event log; malformed lines are reported with their line number and skipped."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", type=Path, nargs="+", help="DSJSON file(s), in order.")
    parser.add_argument("--config", type=Path,
                        help="Config of the daemon that wrote the log: its policy options and, with `sources:`, its "
                             "featurizers' namespaces (default: the simulated world's policy, the log's namespaces).")
    parser.add_argument("--output", "-o", type=Path, help="Write the model here (a VW model file).")
    parser.add_argument("--json", action="store_true", help="Print a JSON summary.")
    parser.add_argument("--tensorboard", type=Path, metavar="DIR",
                        help="Also write a TensorBoard run to DIR/replay-LOG: reward, baselines, exploration, the weights' histogram.")


def run(args: argparse.Namespace) -> int:
    import json

    from appliance.config import load_config
    from appliance.replay import check_logs, replay

    check_logs(args.log)
    progress = sys.stderr.isatty() and not args.json
    summary = replay(load_config(args.config), args.log, args.output, progress=progress, tensorboard=args.tensorboard)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"learned {summary['learned']} events, skipped {summary['malformed']} malformed lines"
              + (f"; model written to {args.output}" if args.output else "")
              + (f"; TensorBoard run in {summary['tensorboard']}" if args.tensorboard else ""))
    return 0
