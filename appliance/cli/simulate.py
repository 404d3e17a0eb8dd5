"""``wabbit simulate``: the real loop against a simulated world, as fast as it can go."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from appliance.errors import UsageError

HELP = "Run the policy, joiner and learner against a simulated world and print what it earned."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--world", default="light", help="light, linear or drift (default: light).")
    parser.add_argument("--events", type=int, default=10_000, help="How many decisions (default 10000).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the world and the policy (default 0).")
    parser.add_argument("--config", type=Path, help="A config whose policy, join and simulation sections apply.")
    parser.add_argument("--log-dir", type=Path, help="Where the DSJSON log goes (default: a new temporary folder).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object (the default prints a summary).")


def run(args: argparse.Namespace) -> int:
    from appliance.config import load_config
    from appliance.simulate import simulate
    from appliance.worlds import WORLDS

    if args.world not in WORLDS:
        raise UsageError(f"unknown world {args.world!r}; choose one of: {', '.join(WORLDS)}")
    if not 1 <= args.events <= 100_000_000:
        raise UsageError(f"--events must be between 1 and 100000000 (got {args.events})")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0 (got {args.seed})")
    config = load_config(args.config)
    config.simulation = config.world().model_copy(update={"world": args.world, "seed": args.seed})
    if config.policy is not None:
        config.policy = config.policy.model_copy(update={"seed": args.seed})
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix=f"wabbit-sim-{args.world}-"))
    result = simulate(config, args.events, log_dir)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value:.4f}" if isinstance(value, float) else f"{key:>20}: {value}")
    return 0
