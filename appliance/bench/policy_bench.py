"""``policy.sklearn``: the scikit-learn policy's decide and learn against the VW policy's, µs per event.

Both policies (each with its default options: SGDRegressor (eta0 0.1) on 2**16 hashed features, VW's ``--cb_explore_adf``
with 2**18 weights, both SquareCB) start fresh on the same stream of light-world contexts, decide each one and
learn it at once, the reward drawn from the world's expected reward of the chosen action with the same uniform
draw for both. They are taken in turn in one run; the ratios are sklearn / VW (how many times VW's time
scikit-learn's takes). ``reward`` is the mean reward each policy earned on the stream.

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
    from appliance.worlds import LightWorld

    world = LightWorld(seed)
    rng = random.Random(seed + 1)
    contexts = [world.context(i) for i in range(n)]
    return Stream(world.actions, contexts, [world.expected_rewards(c, i) for i, c in enumerate(contexts)], [rng.random() for _ in contexts])


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


def bench_sklearn(quick: bool) -> dict[str, Any]:
    from appliance.config import VWPolicyConfig
    from appliance.config.sklearn_policy import SklearnPolicyConfig
    from appliance.policy.sklearn import SklearnPolicy
    from appliance.policy.vw import VWPolicy

    stream = light_stream(300 if quick else 2000)
    actions = [a.model_dump() for a in stream.actions]
    sklearn_config = SklearnPolicyConfig.model_validate({"actions": actions, "seed": 1})
    vw_config = VWPolicyConfig.model_validate({"actions": actions, "seed": 1})

    def both() -> dict[str, float]:
        ours, theirs = run_stream(SklearnPolicy(sklearn_config), stream), run_stream(VWPolicy(vw_config), stream)
        return {**{f"sklearn.{k}": v for k, v in ours.items()}, **{f"vw.{k}": v for k, v in theirs.items()}}

    s = repeat_each(both, repeats=3 if quick else 7)
    meaning = "how many times the VW policy's time the scikit-learn policy takes"
    parts = {part: compared(f"sklearn policy {part} µs per event", "µs", s[f"sklearn.{part}"], f"VW policy {part}", s[f"vw.{part}"], meaning)
             for part in ("decide", "learn")}
    return compared("sklearn policy (SGDRegressor) decide + learn µs per event, light world", "µs", s["sklearn.both"],
                    "VW policy (--cb_explore_adf) decide + learn on the same stream", s["vw.both"], meaning,
                    decide=parts["decide"], learn=parts["learn"],
                    reward={"sklearn": s["sklearn.reward"]["median"], "vw": s["vw.reward"]["median"]})


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"policy.sklearn": bench_sklearn}
