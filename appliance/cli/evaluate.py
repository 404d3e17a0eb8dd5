"""``wabbit evaluate LOG...``: the value of candidate policies on DSJSON logs, with intervals and verdicts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from appliance.errors import UsageError

HELP = ("Estimate, with intervals, what candidate policies would have earned on DSJSON logs: the logged online policy, "
        "uniform random, each constant action and any VW configuration learned by replaying the log.")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", type=Path, nargs="+", help="DSJSON file(s), in order (the appliance's events/*.dsjson, or any).")
    parser.add_argument("--policy", action="append", default=[], metavar='"vw: OPTIONS"',
                        help='A candidate VW configuration, e.g. "vw: --cb_explore_adf --epsilon 0.1 -q ca" (repeatable).')
    parser.add_argument("--estimators", type=_names, default=["ips", "snips", "dr"],
                        help="Comma-separated point estimators: ips, snips, clipped_ips, dm, dr, switch_dr, mle, cressie_read "
                             "or a plug-in's (entry point group wabbit.estimators) (default: ips,snips,dr).")
    parser.add_argument("--intervals", type=_names, default=["cressie_read", "cs"],
                        help="Comma-separated intervals: cressie_read, cs (confidence sequence), gaussian, clopper_pearson or a "
                             "plug-in's (wabbit.intervals); the first one gives the verdicts (default: cressie_read,cs).")
    parser.add_argument("--alpha", type=float, default=0.05, help="1 - confidence of the intervals (default 0.05: 95%%).")
    parser.add_argument("--reward-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                        help="Bounds of the rewards (default: widened as rewards come).")
    parser.add_argument("--reward-model", default="--cb_adf -q ::",
                        help='VW options of the reward model DM and DR use (default "--cb_adf -q ::").')
    parser.add_argument("--no-baselines", action="store_true", help="Leave out uniform random and the constant actions.")
    parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
    parser.add_argument("--plot", type=Path, metavar="PNG",
                        help="Also draw each candidate's value and interval to this .png (or .svg, .pdf) file (needs matplotlib).")
    parser.add_argument("--tensorboard", type=Path, metavar="DIR",
                        help="Also write a TensorBoard run to DIR/evaluate-LOG: the logged policy's signals and every candidate's "
                             "value with its bounds as the log goes, the final values as hyperparameter metrics.")


def run(args: argparse.Namespace) -> int:
    import json

    from appliance.estimators.value import needing_a_reward_model
    from appliance.evaluation import Candidate, Constant, Logged, RewardModel, Uniform, evaluate, first_actions, parse_policy
    from appliance.evaluation.report import plot, table, with_verdicts
    from appliance.registry import REGISTRY
    from appliance.replay import check_logs, progress_bar

    check_logs(args.log)
    if not args.estimators or not args.intervals:
        raise UsageError("--estimators and --intervals each need at least one name (the first interval gives the verdicts)")
    for role, names in (("estimators", args.estimators), ("intervals", args.intervals)):
        for name in names:
            REGISTRY.kind(role, name)  # an unknown one: names the known kinds and the installed plug-ins
    if not 0 < args.alpha < 1:
        raise UsageError(f"--alpha {args.alpha} must be between 0 and 1")
    if args.reward_range and not args.reward_range[0] < args.reward_range[1]:
        raise UsageError(f"--reward-range {args.reward_range[0]} {args.reward_range[1]}: LOW must be below HIGH (the least and the "
                         "greatest reward)")
    if args.plot is not None and args.plot.is_dir():
        raise UsageError(f"--plot {args.plot}: is a directory; give the image file to write, e.g. {args.plot / 'values.png'}")
    if args.plot is not None and args.plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise UsageError(f"--plot {args.plot}: name a .png file (or .svg or .pdf: the name's ending picks the format)")
    candidates: list[Candidate] = [Logged()]
    if not args.no_baselines:
        candidates += [Uniform(), *(Constant(a) for a in first_actions(args.log))]
    candidates += [parse_policy(spec) for spec in args.policy]
    model = RewardModel(args.reward_model) if needing_a_reward_model(args.estimators) else None
    progress = progress_bar if sys.stderr.isatty() and not args.json else None
    watch = None
    if args.tensorboard:
        from appliance.watch.runs import CandidateWatch

        hparams = {"command": "evaluate", "logs": " ".join(p.name for p in args.log), "estimator": args.estimators[0],
                   "interval": args.intervals[0] if args.intervals else "none", "alpha": args.alpha}
        watch = CandidateWatch(args.tensorboard, f"evaluate-{args.log[0].stem}", args.estimators[0],
                               args.intervals[0] if args.intervals else None, args.alpha, hparams)
    try:
        result = evaluate(args.log, candidates, args.estimators, args.intervals, model, args.alpha,
                          tuple(args.reward_range) if args.reward_range else None, progress, watch)
    finally:
        if watch is not None:
            watch.close()
    values = with_verdicts(result.values, args.intervals[0], args.alpha, result.unsupported)
    if args.plot:
        plot(values, args.estimators[0], args.intervals[0], args.alpha, args.plot)
    if args.json:
        print(json.dumps({"events": result.events, "skipped_learn": result.skipped_learn, "late_rewards": result.late_rewards,
                          "malformed": len(result.malformed), "alpha": args.alpha, "seconds": round(result.seconds, 3), "candidates": values,
                          **({"tensorboard": str(watch.observer.directory)} if watch is not None else {})}))
    else:
        print(table(values, args.intervals[0], args.alpha))
        print(f"{result.events} events in {result.seconds:.1f} s; {result.skipped_learn} with _skipLearn and "
              f"{len(result.malformed)} malformed lines skipped"
              + (f"; {result.late_rewards} late rewards counted with their decisions" if result.late_rewards else "")
              + (f"; plot written to {args.plot}" if args.plot else "")
              + (f"; TensorBoard run in {watch.observer.directory}" if watch is not None else ""))
    return 0
