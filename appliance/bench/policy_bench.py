"""``policy.sklearn`` and ``policy.linucb``: the scikit-learn and LinUCB policies' decide and learn against the VW
policy's, µs per event.

Each policy and VW's (with their default options: SGDRegressor (eta0 0.1) on 2**16 hashed features explored by
SquareCB; LinUCB on the context's own features; VW's ``--cb_explore_adf`` with 2**18 weights and SquareCB) start
fresh on the same stream of light-world contexts, decide each one and learn it at once, the reward drawn from the
world's expected reward of the chosen action with the same uniform draw for both. They are taken in turn in one run;
the ratios are theirs / VW's (how many times VW's time the other policy takes). ``reward`` is the mean reward each policy earned on the stream.

>>> stream = light_stream(3)
>>> len(stream.contexts), len(stream.expected[0]), [a.id for a in stream.actions]
(3, 4, ['warm', 'cool', 'red', 'blue'])
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable

from appliance.bench.measure import compared, repeat_each
from appliance.bench.vw_bench import light_contexts
from appliance.config.policy import ActionConfig
from appliance.features import Features
from appliance.policy.base import JoinedEvent, Policy


@dataclass(frozen=True)
class Stream:
    """Contexts, each action's expected reward in each, and the uniform draw that turns it into a reward."""

    actions: list[ActionConfig]
    contexts: list[Features]
    expected: list[list[float]]
    draws: list[float]


def light_stream(n: int, seed: int = 11) -> Stream:
    """``n`` seeded light-world contexts."""
    actions, contexts, expected = light_contexts(n, seed)
    rng = random.Random(seed + 1)
    return Stream(actions, contexts, expected, [rng.random() for _ in contexts])


def run_stream(policy: Policy, stream: Stream) -> dict[str, float]:
    """µs per decide and per learn over the stream, and the mean reward earned."""
    clock = time.perf_counter
    deciding = learning = earned = 0.0
    for i, context in enumerate(stream.contexts):
        start = clock()
        d = policy.decide(context, f"e{i}", 0.0)
        decided = clock()
        reward = float(stream.draws[i] < stream.expected[i][d.action_index])
        policy.learn(JoinedEvent(d, reward, "on_time", 1, 0.0))
        learning += clock() - decided
        deciding += decided - start
        earned += reward
    n = len(stream.contexts)
    return {"decide": 1e6 * deciding / n, "learn": 1e6 * learning / n, "both": 1e6 * (deciding + learning) / n, "reward": earned / n}


def versus_vw(kind: str, label: str, quick: bool) -> dict[str, Any]:
    """The policy ``kind`` (its defaults) against the VW policy's, taken in turn on the same light-world stream."""
    from pydantic import TypeAdapter

    from appliance.assemble import build_policy
    from appliance.config import PolicyConfig

    stream = light_stream(300 if quick else 2000)
    actions = [a.model_dump() for a in stream.actions]
    configs = {name: TypeAdapter(PolicyConfig).validate_python({"type": name, "actions": actions, "seed": 1}) for name in (kind, "vw")}

    def both() -> dict[str, float]:
        ours, theirs = run_stream(build_policy(configs[kind]), stream), run_stream(build_policy(configs["vw"]), stream)
        return {**{f"{kind}.{k}": v for k, v in ours.items()}, **{f"vw.{k}": v for k, v in theirs.items()}}

    s = repeat_each(both, repeats=3 if quick else 7)
    meaning = f"how many times the VW policy's time the {kind} policy takes"
    parts = {part: compared(f"{kind} policy {part} µs per event", "µs", s[f"{kind}.{part}"], f"VW policy {part}", s[f"vw.{part}"], meaning)
             for part in ("decide", "learn")}
    return compared(f"{label} decide + learn µs per event, light world", "µs", s[f"{kind}.both"],
                    "VW policy (--cb_explore_adf) decide + learn on the same stream", s["vw.both"], meaning,
                    decide=parts["decide"], learn=parts["learn"],
                    reward={kind: s[f"{kind}.reward"]["median"], "vw": s["vw.reward"]["median"]})


def bench_sklearn(quick: bool) -> dict[str, Any]:
    return versus_vw("sklearn", "sklearn policy (SGDRegressor)", quick)


def bench_linucb(quick: bool) -> dict[str, Any]:
    """The second-order policy's cost per decision (numpy, Sherman-Morrison), against VW's."""
    return versus_vw("linucb", "linucb policy (numpy, Sherman-Morrison)", quick)


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"policy.sklearn": bench_sklearn, "policy.linucb": bench_linucb}
