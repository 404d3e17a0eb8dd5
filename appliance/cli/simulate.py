"""``wabbit simulate``: the real loop against a simulated world, as fast as it can go."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.errors import UsageError

if TYPE_CHECKING:
    from appliance.config import AppConfig

HELP = "Run the policy, joiner and learner against a simulated world and print what it earned."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--world", default="light",
                        help="light, linear, drift, or a data set read as a bandit: digits, wine (default: light).")
    parser.add_argument("--drift-every", type=int, metavar="N",
                        help="drift: the world's preferences change every N decisions (default: the config's, 5000).")
    parser.add_argument("--events", type=int, default=10_000, help="How many decisions (default 10000).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the world and the policy (default 0).")
    parser.add_argument("--config", type=Path, help="A config whose policy, join and simulation sections apply.")
    parser.add_argument("--log-dir", type=Path, help="Where the DSJSON log goes (default: a new temporary folder).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object (the default prints a summary).")
    parser.add_argument("--tensorboard", type=Path, metavar="DIR",
                        help="Also write a TensorBoard run to DIR/simulate-WORLD-seedS: reward, the policy's value with its bounds, "
                             "baselines, the oracle, exploration, action shares, weights; hyperparameters and final metrics.")
    parser.add_argument("--sweep", metavar="GRID",
                        help="One simulation per combination of policy settings: a YAML/JSON file or inline YAML mapping policy "
                             "keys to the values to try, e.g. '{exploration: [{type: epsilon, epsilon: 0.1}, {type: squarecb}], "
                             "learning_rate: [0.1, 0.5]}' (dotted keys reach into a section: exploration.gamma_scale). With "
                             "--tensorboard each is a run there, compared in TensorBoard's HParams view.")


def run(args: argparse.Namespace) -> int:
    from appliance.config import load_config
    from appliance.worlds import WORLDS

    if args.world not in WORLDS:
        raise UsageError(f"unknown world {args.world!r}; choose one of: {', '.join(WORLDS)}")
    if not 1 <= args.events <= 100_000_000:
        raise UsageError(f"--events must be between 1 and 100000000 (got {args.events})")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0 (got {args.seed})")
    if args.drift_every is not None and not 10 <= args.drift_every <= 10_000_000:
        raise UsageError(f"--drift-every must be between 10 and 10000000 (got {args.drift_every})")
    config = load_config(args.config)
    world = {"world": args.world, "seed": args.seed} | ({} if args.drift_every is None else {"drift_every": args.drift_every})
    config = config.in_world(config.world().model_copy(update=world))
    if config.policy is not None:
        config.policy = config.policy.model_copy(update={"seed": args.seed})
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix=f"wabbit-sim-{args.world}-"))
    earlier = next(log_dir.glob("*/events/events-*.dsjson" if args.sweep else "events/events-*.dsjson"), None)
    if earlier is not None:  # the run would add its events to that log: one log of two runs, their event ids twice
        raise UsageError(f"{log_dir}: holds the event log of an earlier run ({earlier}); give --log-dir a new folder, or "
                         "remove that one first")
    if args.sweep:
        return _sweep(config, args, log_dir)
    result = _one(config, args, log_dir, f"simulate-{args.world}-seed{args.seed}")
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value:.4f}" if isinstance(value, float) else f"{key:>20}: {value}")
    return 0


def _one(config: AppConfig, args: argparse.Namespace, log_dir: Path, name: str, swept: dict[str, Any] | None = None) -> dict[str, Any]:
    """One simulation; watched, its hyperparameters are the policy's and the world's, or a sweep's settings alone (the
    HParams view shows a handful of columns at first: the ones that differ)."""
    from appliance.simulate import simulate

    if args.tensorboard is None:
        return simulate(config, args.events, log_dir)
    from appliance.watch.runs import simulate_watched
    from appliance.watch.sweep import hparams_of

    hparams = hparams_of(swept) if swept is not None else {"world": args.world, "seed": args.seed, "events": args.events}
    return simulate_watched(config, args.events, log_dir, args.tensorboard, name, hparams, hparams_of_policy=swept is None)


def _sweep(config: AppConfig, args: argparse.Namespace, log_dir: Path) -> int:
    from appliance.watch.sweep import combinations, load_grid, policies, run_name

    grid = load_grid(args.sweep)
    runs = []
    for index, (assignment, policy) in enumerate(zip(combinations(grid), policies(config, grid))):
        name = run_name(index, assignment)
        result = _one(config.model_copy(update={"policy": policy}), args, log_dir / name, name, assignment)
        runs.append({"run": name, **assignment, **result})
        if not args.json:
            print(f"{name:<60} avg_reward {result['avg_reward']:.4f}, {share_of_oracle(result)}  {result['events_per_s']:.0f} events/s")
    best = max(runs, key=lambda r: r["avg_reward"])
    if args.json:
        print(json.dumps({"runs": runs, "best": best["run"]}))
    else:
        print(f"best: {best['run']}" + (f"; compare them with: tensorboard --logdir {args.tensorboard}" if args.tensorboard else ""))
    return 0


def share_of_oracle(result: dict[str, Any]) -> str:
    """How a sweep's line gives a run's share of the oracle's reward; none when the oracle earned nothing (or less: a
    world of costs), where a share means nothing.

    >>> share_of_oracle({"avg_reward": 0.6, "oracle_avg_reward": 0.8})
    "0.750 of the oracle's reward"
    >>> share_of_oracle({"avg_reward": 0.0, "oracle_avg_reward": 0.0})
    "n/a of the oracle's reward (the oracle earned 0)"
    """
    oracle = result["oracle_avg_reward"]
    if oracle > 0:
        return f"{result['avg_reward'] / oracle:.3f} of the oracle's reward"
    return f"n/a of the oracle's reward (the oracle earned {oracle:.4g})"
