"""``quality.sweep``: the sweep that chooses the VW policy's defaults, repeatable on a new VW release.

Each of :data:`CANDIDATES` changes some of the defaults (learning rate, ``power_t``, VW's update rule, ``--l2``,
SquareCB's gamma, the exploration and its ``cb_type``, interactions) or is another policy kind (LinUCB's alpha
and forgetting); every one runs on every entry of the suite
(:data:`ENTRIES`: the built-in worlds, drift every 2,500 and the two data sets) through ``wabbit simulate``'s
loop, delays and losses, over the same seeds. Two stages: a screen of every candidate at :data:`SCREEN` size,
then the :data:`FINALISTS` best and the defaults at the suite's full size. The rule (:func:`ranked`): a setting
that loses more than :data:`TOLERANCE` on an entry against the defaults ranks after every one that does not;
then the smaller the shortfall from issue 23's goals, the better; then the higher the mean share. The ratio is
the defaults' mean share over the best's: 1.0 when the defaults are the best.

>>> overlay({"learning_rate": 4.0, "exploration": {"type": "squarecb", "gamma_scale": 10.0}},
...         {"exploration": {"type": "squarecb", "gamma_exponent": 0.3}})
{'learning_rate': 4.0, 'exploration': {'type': 'squarecb', 'gamma_scale': 10.0, 'gamma_exponent': 0.3}}
>>> medians = {"defaults": {"light": 0.90, "wine": 0.97}, "a": {"light": 0.95, "wine": 0.90}, "b": {"light": 0.92, "wine": 0.97}}
>>> ranked(medians)  # a meets light's goal but loses on wine
['b', 'defaults', 'a']
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import sys
from typing import Any, Callable

from appliance.bench.measure import compared, summarize
from appliance.bench.quality_bench import GOALS, Make, config_of, kind, run_one
from appliance.config import VWPolicyConfig

DEFAULTS = "defaults"
_SQUARECB = {"type": "squarecb"}
CANDIDATES: dict[str, dict[str, Any]] = {
    DEFAULTS: {},
    # the learning rate (the default: 1) and its decay (VW --power_t: 0 keeps the step, 0.5 is AdaGrad's)
    "learning_rate 0.5": {"learning_rate": 0.5},
    "learning_rate 2": {"learning_rate": 2.0},
    "learning_rate 4": {"learning_rate": 4.0},
    "learning_rate 8": {"learning_rate": 8.0},
    "power_t 0.35": {"power_t": 0.35},
    "power_t 0.25": {"power_t": 0.25},
    "power_t 0, learning_rate 0.5": {"power_t": 0.0, "learning_rate": 0.5},
    "power_t 0, learning_rate 0.1": {"power_t": 0.0, "learning_rate": 0.1},
    # VW's update rules (`update`): VW's own (normalized), parameter-free ones, the adaptive / normalized / invariant
    # toggles (naming some drops the rest; `update: normalized` passes none, so vw_args may)
    "update normalized (VW's own), learning_rate 4": {"update": "normalized", "learning_rate": 4.0},
    "update normalized (VW's own), learning_rate 1": {"update": "normalized"},
    "update coin": {"update": "coin"},
    "update freegrad": {"update": "freegrad"},
    "--adaptive --normalized (no --invariant)": {"update": "normalized", "vw_args": ["--adaptive", "--normalized"]},
    "--normalized --invariant (no --adaptive)": {"update": "normalized", "vw_args": ["--normalized", "--invariant"]},
    "--l2 1e-6": {"vw_args": ["--l2", "1e-6"]},
    # importance weights of the regression (mtr: 1/p of the chosen action) capped at 1/clip_p (VW --clip_p)
    "--clip_p 0.1": {"vw_args": ["--clip_p", "0.1"]},
    "--clip_p 0.02": {"vw_args": ["--clip_p", "0.02"]},
    "--clip_p 0.1, squarecb elim": {"vw_args": ["--clip_p", "0.1"], "exploration": {**_SQUARECB, "elim": True}},
    "--clip_p 0.02, gamma_exponent 0.6": {"vw_args": ["--clip_p", "0.02"], "exploration": {**_SQUARECB, "gamma_exponent": 0.6}},
    # SquareCB's gamma = gamma_scale * t ** gamma_exponent
    "gamma_scale 5": {"exploration": {**_SQUARECB, "gamma_scale": 5.0}},
    "gamma_scale 20": {"exploration": {**_SQUARECB, "gamma_scale": 20.0}},
    "gamma_scale 40": {"exploration": {**_SQUARECB, "gamma_scale": 40.0}},
    "gamma_exponent 0.3": {"exploration": {**_SQUARECB, "gamma_exponent": 0.3}},
    "gamma_exponent 0.7": {"exploration": {**_SQUARECB, "gamma_exponent": 0.7}},
    # interactions: every pair of namespaces (context x context too), besides the context x action ones
    "interactions all pairs": {"vw_args": ["--interactions", "::"]},
    # other explorations, with the cb_types they take
    "epsilon 0.05, mtr": {"exploration": {"type": "epsilon", "epsilon": 0.05}},
    "epsilon 0.02, mtr": {"exploration": {"type": "epsilon", "epsilon": 0.02}},
    "epsilon 0.05, dr": {"exploration": {"type": "epsilon", "epsilon": 0.05}, "cb_type": "dr"},
    "epsilon 0.05, ips": {"exploration": {"type": "epsilon", "epsilon": 0.05}, "cb_type": "ips"},
    "bag 5": {"exploration": {"type": "bag", "size": 5}},
    "bag 5, epsilon 0.02": {"exploration": {"type": "bag", "size": 5, "epsilon": 0.02}},
    "cover 4, dr": {"exploration": {"type": "cover", "size": 4}, "cb_type": "dr"},
    "regcbopt": {"exploration": {"type": "regcb", "optimistic": True}},
    "regcb (elimination)": {"exploration": {"type": "regcb", "optimistic": False}},
    "synthcover": {"exploration": {"type": "synthcover"}},
    "softmax lambda 10": {"exploration": {"type": "softmax", "lambda": 10.0}},
    # near the default: a learning rate between 1 and 2, SquareCB exploring less late on
    "learning_rate 1.5": {"learning_rate": 1.5},
    "gamma_scale 15": {"exploration": {**_SQUARECB, "gamma_scale": 15.0}},
    "gamma_exponent 0.6": {"exploration": {**_SQUARECB, "gamma_exponent": 0.6}},
    "learning_rate 1.5, gamma_scale 15": {"learning_rate": 1.5, "exploration": {**_SQUARECB, "gamma_scale": 15.0}},
    # VW's second-order update (a sketch of the Hessian), which replaces the update rule: so update normalized
    "--OjaNewton": {"update": "normalized", "vw_args": ["--OjaNewton"]},
    "--OjaNewton, learning_rate 0.5": {"update": "normalized", "learning_rate": 0.5, "vw_args": ["--OjaNewton"]},
    # cubic interactions: every triple of namespaces (actions' included) besides the context x action pairs
    "interactions all triples": {"vw_args": ["--interactions", ":::"]},
    # another policy kind (a `type` key): LinUCB, forgetting between the stationary 1 and the drifting 0.99
    **{f"linucb alpha {alpha:g}, forgetting {forgetting:g}": {"type": "linucb", "alpha": alpha, "forgetting": forgetting}
       for forgetting in (0.995, 0.997, 0.998, 0.999) for alpha in (0.25, 0.5, 1.0)},
    # ... and narrower bounds where light (stationary) fell short of its goal at 0.995
    **{f"linucb alpha {alpha:g}, forgetting {forgetting:g}": {"type": "linucb", "alpha": alpha, "forgetting": forgetting}
       for forgetting in (0.995, 0.996) for alpha in (0.1, 0.15, 0.25) if (alpha, forgetting) != (0.25, 0.995)},
    "linucb alpha 0.2, forgetting 0.9955": {"type": "linucb", "alpha": 0.2, "forgetting": 0.9955},
    "linucb (its defaults)": {"type": "linucb"},
    # 3 December, afternoon: explorations with optimism or a confidence set, greedier ones, and estimators not swept
    "rnd 3": {"exploration": {"type": "rnd", "size": 3}},
    "rnd 3, rnd_alpha 0.03": {"exploration": {"type": "rnd", "size": 3, "alpha": 0.03}},
    "rnd 3, rnd_alpha 0.3": {"exploration": {"type": "rnd", "size": 3, "alpha": 0.3}},
    "rnd 3, rnd_invlambda 1": {"exploration": {"type": "rnd", "size": 3, "invlambda": 1.0}},
    "rnd 3, rnd_invlambda 0.01": {"exploration": {"type": "rnd", "size": 3, "invlambda": 0.01}},
    "rnd 3, epsilon 0.01": {"exploration": {"type": "rnd", "size": 3, "epsilon": 0.01}},
    "squarecb elim": {"exploration": {**_SQUARECB, "elim": True}},
    "squarecb elim, mellowness 0.01": {"exploration": {**_SQUARECB, "elim": True, "mellowness": 0.01}},
    "squarecb elim, mellowness 0.1": {"exploration": {**_SQUARECB, "elim": True, "mellowness": 0.1}},
    "squarecb elim, mellowness 1": {"exploration": {**_SQUARECB, "elim": True, "mellowness": 1.0}},
    "squarecb elim, gamma_exponent 0.6": {"exploration": {**_SQUARECB, "elim": True, "gamma_exponent": 0.6}},
    "squarecb elim, mellowness 0.0001": {"exploration": {**_SQUARECB, "elim": True, "mellowness": 0.0001}},
    "squarecb elim, gamma_scale 20": {"exploration": {**_SQUARECB, "elim": True, "gamma_scale": 20.0}},
    "squarecb elim, gamma_scale 5": {"exploration": {**_SQUARECB, "elim": True, "gamma_scale": 5.0}},
    "squarecb elim, learning_rate 1.5": {"learning_rate": 1.5, "exploration": {**_SQUARECB, "elim": True}},
    "regcbopt, mellowness 0.01": {"exploration": {"type": "regcb", "optimistic": True, "mellowness": 0.01}},
    "regcbopt, mellowness 0.001": {"exploration": {"type": "regcb", "optimistic": True, "mellowness": 0.001}},
    "bag 5, greedify": {"exploration": {"type": "bag", "size": 5, "greedify": True}},
    "bag 5, greedify, epsilon 0.01": {"exploration": {"type": "bag", "size": 5, "greedify": True, "epsilon": 0.01}},
    "bag 3, greedify": {"exploration": {"type": "bag", "size": 3, "greedify": True}},
    "cover 4, mtr": {"exploration": {"type": "cover", "size": 4}},
    "cover 4, mtr, psi 0.1": {"exploration": {"type": "cover", "size": 4, "psi": 0.1}},
    **{f"epsilon {epsilon:g}, {cb_type}": {"exploration": {"type": "epsilon", "epsilon": epsilon}, "cb_type": cb_type}
       for epsilon in (0.01, 0.02) for cb_type in ("dm", "sm", "mtr", "dr") if (epsilon, cb_type) != (0.02, "mtr")},
    "epsilon 0.005, dm": {"exploration": {"type": "epsilon", "epsilon": 0.005}, "cb_type": "dm"},
    "first 200": {"exploration": {"type": "first", "tau": 200}},
    "first 1000": {"exploration": {"type": "first", "tau": 1000}},
    # SquareCB on VW's cost-sensitive learner with the estimator in Python: dm learns without importance weights
    "squarecb, cb_type python:dm": {"cb_type": "python:dm"},
    "squarecb, cb_type python:mtr": {"cb_type": "python:mtr"},
}
"""Candidate name -> the policy options it changes over the VW defaults (:func:`overlay`; ``defaults`` changes none),
or, with a ``type`` key, another policy kind with its own defaults and these options (:func:`candidate`)."""
ENTRIES = ("light", "linear", "drift", "drift_2500", "digits", "wine")
SCREEN, FULL, QUICK = (2_000, 5), (10_000, 5), (300, 2)
"""(events, seeds): the screen of every candidate, the finalists' run, and ``--quick``'s (a few candidates)."""
FINALISTS = 3
TOLERANCE = 0.02
"""How far below the defaults' share on an entry a setting may fall before it counts as losing there."""
QUICK_CANDIDATES = (DEFAULTS, "learning_rate 4", "power_t 0.25")
QUICK_ENTRIES = ("light", "drift_2500")


def overlay(base: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``options`` over it; an exploration of the same type keeps the fields ``options`` leave out."""
    merged = dict(base)
    for key, value in options.items():
        below = base.get(key)
        same_type = isinstance(value, dict) and isinstance(below, dict) and value.get("type") == below.get("type")
        merged[key] = {**below, **value} if same_type and isinstance(below, dict) else value
    return merged


def defaults() -> dict[str, Any]:
    """The VW policy's tunable defaults, as options (``wabbit config default``'s)."""
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}]})
    return config.model_dump(by_alias=True, include={"learning_rate", "power_t", "update", "exploration", "cb_type", "interactions", "vw_args"})


def candidate(name: str) -> Make:
    """The named candidate's policy: the VW defaults with its changes, or the kind its ``type`` names with its options.

    >>> candidate("linucb alpha 0.5, forgetting 0.998")(config_of("light", 1, 10)).actions
    ('warm', 'cool', 'red', 'blue')
    """
    options = dict(CANDIDATES[name])
    type_ = options.pop("type", "vw")
    return kind("vw", **overlay(defaults(), options)) if type_ == "vw" else kind(type_, **options)


def measure(names: list[str], entries: tuple[str, ...], events: int, seeds: int) -> dict[str, dict[str, list[float]]]:
    """Each named candidate's share of the oracle on each entry, one per seed (1..``seeds``)."""
    return {name: {entry: [run_one(config_of(entry, seed, events), events, candidate(name))["share"]
                           for seed in range(1, seeds + 1)] for entry in entries} for name in names}


def medians(shares: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {name: {entry: statistics.median(values) for entry, values in by_entry.items()} for name, by_entry in shares.items()}


def shortfall(by_entry: dict[str, float]) -> float:
    """How far the entries' shares fall below issue 23's goals, summed (0: every goal met)."""
    return sum(max(0.0, goal - by_entry[entry]) for entry, goal in GOALS.items() if entry in by_entry)


def losses(by_entry: dict[str, float], reference: dict[str, float]) -> list[str]:
    """The entries where ``by_entry`` falls more than :data:`TOLERANCE` below ``reference``."""
    return [entry for entry, share in by_entry.items() if share < reference[entry] - TOLERANCE]


def ranked(by_name: dict[str, dict[str, float]]) -> list[str]:
    """The candidates best first, by the module's rule (``defaults`` must be among them)."""
    reference = by_name[DEFAULTS]
    return sorted(by_name, key=lambda n: (bool(losses(by_name[n], reference)), shortfall(by_name[n]), -statistics.mean(by_name[n].values())))


def bench_sweep(quick: bool) -> dict[str, Any]:
    names, entries = (list(QUICK_CANDIDATES), QUICK_ENTRIES) if quick else (list(CANDIDATES), ENTRIES)
    screen_events, screen_seeds = QUICK if quick else SCREEN
    screen = medians(measure(names, entries, screen_events, screen_seeds))
    finalists = [DEFAULTS, *[name for name in ranked(screen) if name != DEFAULTS][:1 if quick else FINALISTS]]
    events, seeds = QUICK if quick else FULL
    shares = measure(finalists, entries, events, seeds)
    final = medians(shares)
    best = ranked(final)[0]
    scores = {name: summarize([statistics.mean(by_entry[e][i] for e in entries) for i in range(seeds)]) for name, by_entry in shares.items()}
    return compared(
        f"mean share of the oracle over {', '.join(entries)} of the default VW settings, {events} decisions, median over "
        f"seeds 1..{seeds}", "share", scores[DEFAULTS], f"the best of the sweep: {best}", scores[best],
        "the defaults' score over the best setting's (1.0: the defaults are the best)", better="higher", events=events,
        seeds=seeds, best=best, defaults=defaults(), candidates={name: CANDIDATES[name] for name in names},
        screen={"events": screen_events, "seeds": screen_seeds, "shares": screen, "order": ranked(screen)},
        shares=final, shortfall={name: shortfall(by_entry) for name, by_entry in final.items()},
        losses={name: losses(by_entry, final[DEFAULTS]) for name, by_entry in final.items()},
        scores={name: s["median"] for name, s in scores.items()}, command="wabbit bench --only quality.sweep")


def main(argv: list[str] | None = None) -> int:
    """One slice of the sweep (some candidates, entries and size) as JSON, the medians and each seed's share: to
    spread a sweep over processes, or to refine one knob.
    ``python -m appliance.bench.sweep_bench --candidates 'power_t*' --events 2000 --seeds 5``."""
    parser = argparse.ArgumentParser(prog="python -m appliance.bench.sweep_bench", description=main.__doc__)
    parser.add_argument("--candidates", default="*", help="Glob of candidate names (default: all); `--list` names them. A name that starts with "
                        "-- goes as --candidates='--l2*'.")
    parser.add_argument("--entries", default=",".join(ENTRIES), help="Comma-separated entries of the suite.")
    parser.add_argument("--events", type=int, default=SCREEN[0], help=f"Decisions per run (default {SCREEN[0]}).")
    parser.add_argument("--seeds", type=int, default=SCREEN[1], help=f"Seeds 1..N (default {SCREEN[1]}).")
    parser.add_argument("--list", action="store_true", help="Print the candidates and exit.")
    args = parser.parse_args(argv)
    names = [name for name in CANDIDATES if fnmatch.fnmatchcase(name, args.candidates)]
    if args.list or not names:
        print("\n".join(f"{name}: {json.dumps(CANDIDATES[name])}" for name in CANDIDATES))
        return 0 if names else 2
    shares = measure(names, tuple(args.entries.split(",")), args.events, args.seeds)
    json.dump({"events": args.events, "seeds": args.seeds, "medians": medians(shares), "shares": shares}, sys.stdout, indent=1)
    print()
    return 0


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"quality.sweep": bench_sweep}

if __name__ == "__main__":
    sys.exit(main())
