"""The learning-quality suite (``wabbit bench --only 'quality.*'``): every built-in world and the data sets
scikit-learn ships, every policy kind with its defaults, the other libraries' bandits and a plain Python one, all
through the same loop, joiner, delays, losses and duplicates (``wabbit simulate``'s, with ``policy=`` the contender).

The figure is each contender's share of the oracle's reward: the average expected reward of its choices over the
best action's (the world knows both, so it is free of reward noise); on a data set, the share of right answers
(progressive reward). Median over seeds. The reference is river's LinUCB (disjoint, alpha 1), the best of the
libraries on stationary worlds; the ratio is the default policy's share over river's. Each contender also gives
decisions per second (decide and learn, through the loop), ``model_bytes``, the size of its learned state as
saved (VW's model file, skops, npz, river's pickle), and ``resident_bytes``, the peak resident memory its run added
to a process forked for it alone: ``wabbit bench --libraries`` prints them side by side. ``goal`` and ``meets_goal``
hold issue 23's goals: the default policy's (:data:`GOALS`, also at the top level) and the second-order policy's
(:data:`SECOND_ORDER_GOALS`, ``policies.linucb``).
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable

from pydantic import TypeAdapter

from appliance.bench.measure import compared, summarize
from appliance.config import AppConfig, PolicyConfig
from appliance.policy.base import Policy
from appliance.worlds import DATASETS

Make = Callable[[AppConfig], Policy]
"""Builds a contender over the world's actions, seeded by the simulation's seed."""
REFERENCE = "river.LinUCBDisjoint"
DEFAULT = "vw"
SUITE: dict[str, dict[str, Any]] = {
    "light": {"world": "light"},
    "linear": {"world": "linear"},
    "drift": {"world": "drift"},  # preferences change every 5,000 decisions (the world's default)
    "drift_2500": {"world": "drift", "drift_every": 2500},
    "digits": {"world": "digits"},
    "wine": {"world": "wine"},
}
"""Entry name -> the simulation's settings; the delays, losses and duplicates are the defaults for all."""
GOALS = {"light": 0.93, "linear": 0.98, "drift": 0.85, "drift_2500": 0.70, "digits": 0.75}
"""Issue 23's goals for the default policy's share of the oracle."""
SECOND_ORDER_GOALS = {"light": 0.95, "linear": 0.99, "digits": 0.90}
"""Issue 23's goals for the second-order policy's (``linucb``, its defaults) share of the oracle."""
GOALS_OF = {DEFAULT: GOALS, "linucb": SECOND_ORDER_GOALS}
"""Contender -> issue 23's goals for it, by entry."""
FULL, QUICK = (10_000, 5), (400, 2)
"""(events, seeds) of a full run and of ``--quick``; drift intervals shrink with the events."""


def config_of(entry: str, seed: int, events: int) -> AppConfig:
    """The simulation of ``entry`` with ``seed``, drift intervals scaled to ``events`` (as they are at 10,000).

    >>> config_of("drift_2500", 1, 1000).world().drift_every
    250
    """
    settings = dict(SUITE[entry])
    if "drift_every" in settings or settings["world"] == "drift":
        settings["drift_every"] = max(10, settings.get("drift_every", 5000) * events // FULL[0])
    return AppConfig.model_validate({"simulation": {**settings, "seed": seed}})


def kind(type_: str, **options: Any) -> Make:
    """A registered policy kind with its defaults (and ``options``) over the world's actions."""
    def make(config: AppConfig) -> Policy:
        from appliance.assemble import build_policy
        from appliance.registry import REGISTRY

        base = config.effective_policy()
        example = REGISTRY.kind("policies", type_).config_class().example
        raw = {**example, "type": type_, "actions": [a.model_dump(by_alias=True) for a in base.actions], "seed": base.seed, **options}
        return build_policy(TypeAdapter(PolicyConfig).validate_python(raw))
    return make


def _actions(config: AppConfig) -> list[str]:
    return [a.id for a in config.effective_policy().actions]


def contenders() -> tuple[dict[str, Make], dict[str, str]]:
    """Every contender by name, and those that cannot run with the reason (a library not installed)."""
    from appliance.bench.library_policies import PythonEpsilonGreedy, RiverPolicy
    from appliance.registry import REGISTRY

    made: dict[str, Make] = {name: kind(name) for name in REGISTRY.kinds("policies")}
    made["linucb forgetting 0.99"] = kind("linucb", forgetting=0.99)
    made["python epsilon-greedy"] = lambda config: PythonEpsilonGreedy(_actions(config), seed=config.world().seed)
    skipped: dict[str, str] = {}
    if find_spec("sklearn") is None:
        del made["sklearn"]
        skipped["sklearn"] = "scikit-learn is not installed: pip install -e '.[sklearn]'"
    try:
        from river import bandit
    except ImportError as err:
        skipped["river"] = f"river is not installed ({err}): pip install -e '.[quality]'"
        return made, skipped
    made[REFERENCE] = lambda config: RiverPolicy(bandit.LinUCBDisjoint(alpha=1.0, seed=config.world().seed), _actions(config))
    made["river.EpsilonGreedy (no context)"] = lambda config: RiverPolicy(
        bandit.EpsilonGreedy(0.1, seed=config.world().seed), _actions(config))
    return made, skipped


def goal_of(name: str, entry: str, share: float) -> dict[str, Any]:
    """The contender's goal on the entry and whether its median share meets it (``None`` and ``None``: no goal).

    >>> goal_of("linucb", "light", 0.952), goal_of("vw", "light", 0.914), goal_of("linucb", "drift", 0.5)
    ({'goal': 0.95, 'meets_goal': True}, {'goal': 0.93, 'meets_goal': False}, {'goal': None, 'meets_goal': None})
    """
    goal = GOALS_OF.get(name, {}).get(entry)
    return {"goal": goal, "meets_goal": None if goal is None else share >= goal}


def run_one(config: AppConfig, events: int, make: Make) -> dict[str, float]:
    """One contender on one simulation, in a forked child of its own: its share of the oracle, decisions per second,
    its saved state's size, and ``resident_bytes``, how far the child's resident memory rose above what it started
    with (the contender's model, its library's allocations, the loop's state: native memory included)."""
    context = multiprocessing.get_context("fork")  # no pickling of ``make``; the child starts with what we hold
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run_in_child, args=(sender, config, events, make), daemon=True)
    child.start()
    sender.close()
    try:
        outcome = receiver.recv()
    except EOFError:
        outcome = RuntimeError(f"the contender's process died (exit code {child.exitcode})")
    child.join()
    if isinstance(outcome, BaseException):
        raise outcome
    return dict(outcome)


def _run_in_child(sender: Any, config: AppConfig, events: int, make: Make) -> None:
    try:
        started = _resident_bytes()
        result = _run(config, events, make)
        result["resident_bytes"] = float(max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - started))
        sender.send(result)
    except BaseException as err:  # the parent raises it
        sender.send(err)
    finally:
        sender.close()


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def _run(config: AppConfig, events: int, make: Make) -> dict[str, float]:
    from appliance.simulate import simulate

    with tempfile.TemporaryDirectory() as tmp:
        policy = make(config)
        result = simulate(config, events, Path(tmp) / "log", policy)
        saved = Path(tmp) / "model"
        policy.save(saved)
        size = saved.stat().st_size
    return {"share": result["avg_reward"] / result["oracle_avg_reward"], "avg_reward": result["avg_reward"],
            "oracle": result["oracle_avg_reward"], "events_per_s": result["events_per_s"], "model_bytes": float(size)}


def run_entry(entry: str, quick: bool, only: list[str] | None = None) -> dict[str, Any]:
    """Every contender (or those in ``only``) over the seeds of ``entry``: per contender the summaries."""
    events, seeds = QUICK if quick else FULL
    made, skipped = contenders()
    chosen = {name: make for name, make in made.items() if only is None or name in only}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    for seed in range(1, seeds + 1):
        config = config_of(entry, seed, events)
        for name, make in chosen.items():
            runs[name].append(run_one(config, events, make))
    rows: dict[str, Any] = {name: {key: summarize([r[key] for r in results]) for key in results[0]} for name, results in runs.items()}
    return {"events": events, "seeds": list(range(1, seeds + 1)), "rows": rows, "skipped": skipped}


def _entry(entry: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        if SUITE[entry]["world"] in DATASETS and find_spec("sklearn") is None:
            return {"skipped": f"the {entry} world is scikit-learn's data set: pip install -e '.[sklearn]'"}
        ran = run_entry(entry, quick)
        rows, events, seeds = ran["rows"], ran["events"], ran["seeds"]
        reference_name = REFERENCE if REFERENCE in rows else "oracle (river is not installed)"
        reference = rows[REFERENCE]["share"] if REFERENCE in rows else summarize([1.0, 1.0])
        policies: dict[str, Any] = {name: {
            "share_of_oracle": row["share"], "avg_reward": row["avg_reward"]["median"], "events_per_s": row["events_per_s"],
            "model_bytes": row["model_bytes"]["median"], "resident_bytes": row["resident_bytes"]["median"],
            "ratio_to_reference": row["share"]["median"] / reference["median"], **goal_of(name, entry, row["share"]["median"]),
        } for name, row in rows.items()}
        policies.update({name: {"skipped": reason} for name, reason in ran["skipped"].items()})
        return compared(
            f"share of the oracle's reward of the default policy (vw), `wabbit simulate --world {SUITE[entry]['world']}`"
            f"{' --drift-every ' + str(SUITE[entry]['drift_every']) if 'drift_every' in SUITE[entry] else ''}, {events} decisions, "
            f"median over seeds {seeds[0]}..{seeds[-1]}", "share", rows[DEFAULT]["share"],
            f"{reference_name}: the same stream through the same loop, delays and losses", reference,
            "the default policy's share of the oracle over the reference's (every contender: policies.*)",
            better="higher", events=events, seeds=seeds, world=SUITE[entry], policies=policies, oracle_avg_reward=rows[DEFAULT]["oracle"]["median"],
            **goal_of(DEFAULT, entry, rows[DEFAULT]["share"]["median"]))

    bench.__doc__ = f"Every policy kind and library on {entry}: share of the oracle, decisions/s, model bytes."
    return bench


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {f"quality.{entry}": _entry(entry) for entry in SUITE}
