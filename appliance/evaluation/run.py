"""Replay DSJSON logs through candidate policies and estimate each one's value with intervals.

>>> import tempfile, pathlib
>>> from appliance.evaluation.candidates import Constant, Logged, Uniform
>>> path = pathlib.Path(tempfile.mkdtemp()) / "log.dsjson"
>>> line = ('{{"_label_cost":{c},"_label_probability":0.5,"_labelIndex":{i},"a":[{a},{b}],"p":[0.5,0.5],'
...         '"c":{{"_multi":[{{"_id":"on"}},{{"_id":"off"}}]}}}}')
>>> _ = path.write_text("\\n".join(line.format(c=-(i % 2), i=i % 2, a=i % 2 + 1, b=2 - i % 2) for i in range(10)) + "\\n")
>>> result = evaluate([path], [Logged(), Uniform(), Constant("off")], estimators=("ips",), intervals=("gaussian",))
>>> [(name, r["estimates"]["ips"]) for name, r in result.values.items()], result.events
([('online', 0.5), ('random', 0.5), ('always off', 1.0)], 10)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from appliance.errors import UsageError
from appliance.estimators.value import PolicyValue, needing_a_reward_model
from appliance.evaluation.candidates import Candidate, RewardModel
from appliance.evaluation.late import FinalRewards
from appliance.storage import dsjson


@dataclass
class Evaluation:
    """Each candidate's summary (``PolicyValue.summary``), and what was read."""

    values: dict[str, dict[str, Any]]
    events: int = 0
    skipped_learn: int = 0
    late_rewards: int = 0
    """Late lines (``late_reward: learn``) folded into their decisions: each decision counts once, with the reward
    it was last learned with (:mod:`appliance.evaluation.late`)."""
    malformed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    unsupported: dict[str, float] = field(default_factory=dict)
    """Each candidate's share of choices on actions the logging policy gave probability 0 (a deterministic logger's
    others): the log says nothing of them, so its estimates hold only for the rest (IPS counts them as worth 0)."""


def first_actions(paths: Sequence[Path]) -> tuple[str, ...]:
    """The actions of the first event of the logs (the constant policies to evaluate)."""
    for logged in dsjson.read(paths, lambda path, number, why: None):
        return logged.event.decision.actions
    raise UsageError(f"no events in {', '.join(map(str, paths))}: nothing to evaluate")


def evaluate(
    paths: Sequence[Path], candidates: Sequence[Candidate], estimators: Sequence[str] = ("ips", "snips"),
    intervals: Sequence[str] = ("cressie_read",), reward_model: RewardModel | None = None, alpha: float = 0.05,
    reward_range: tuple[float, float] | None = None, progress: Callable[[int, int], None] | None = None,
    watch: Callable[[dsjson.Logged, Mapping[str, PolicyValue]], None] | None = None,
) -> Evaluation:
    """Every candidate's value on the decisions of ``paths`` (``_skipLearn`` events skipped, as VW does; a decision
    learned again with late rewards counted once, with the last of them; malformed lines reported on stderr with
    their number and skipped). ``reward_range``: the rewards' bounds, else the intervals widen theirs as rewards come.
    The reward model's predictions are held within the range as it stood before each event: a regression that
    overshoots (VW's normalized update, after a feature first seen tiny) would otherwise put DM and DR millions off.
    ``watch(logged, values)`` hears of each event once every candidate took
    it (``values``: each candidate's by name; TensorBoard's observer)."""
    import time

    modelled = needing_a_reward_model(estimators)
    if modelled and reward_model is None:
        raise UsageError(f"estimators {', '.join(sorted(modelled))} need a reward model")
    low, high = reward_range or (0.0, 1.0)
    values = [PolicyValue(estimators, intervals, low, high, empirical_r_bounds=reward_range is None) for _ in candidates]
    result = Evaluation({})
    started = time.perf_counter()

    def malformed(path: Path, number: int, why: str) -> None:
        result.malformed.append(f"{path}:{number}: {why}")
        print(f"{path}:{number}: {why}; line skipped", file=sys.stderr)

    pairs = list(zip(candidates, values))
    unlogged = [0.0] * len(pairs)  # each candidate's probability summed over the actions its events' logger never took
    by_name = {c.name: v for c, v in pairs}
    finals = FinalRewards(paths)
    for line in dsjson.read(paths, malformed, progress):
        if line.skip_learn:
            result.skipped_learn += 1
            continue
        logged = finals.counted(line)
        if logged is None:
            result.late_rewards += 1
            continue
        d, reward, p_drop = logged.event.decision, logged.event.reward, logged.p_drop
        chosen, p_log = d.action_index, d.probability
        # held within the rewards' range before this one (the estimate of an event must not depend on its reward)
        predicted = None if reward_model is None else [min(max(r, low), high) for r in reward_model.rewards(logged)]
        if reward_range is None:  # the rewards' range so far, as the intervals widen theirs
            low, high = min(low, reward), max(high, reward)
        elif not low <= reward <= high:
            raise UsageError(f"reward {reward!r} of event {d.event_id!r} is outside --reward-range {low:g} {high:g}: widen it to hold "
                             "every reward of the log, or leave it out (the intervals then widen their range as rewards come)")
        never = [i for i, q in enumerate(d.pmf) if q <= 0.0]  # a deterministic logger's others: nothing known of them
        for k, (candidate, value) in enumerate(pairs):
            pmf = candidate.step(logged)
            if never:
                unlogged[k] += sum(pmf[i] for i in never)
            if predicted is None:
                value.add_example(p_log, reward, pmf[chosen], p_drop=p_drop)
            else:
                v_hat = sum(p * r for p, r in zip(pmf, predicted))
                value.add_example(p_log, reward, pmf[chosen], p_drop=p_drop, r_hat=predicted[chosen], v_hat=v_hat)
        result.events += 1
        if watch is not None:
            watch(logged, by_name)
    if not result.events:
        raise UsageError(f"no events to evaluate in {', '.join(map(str, paths))}")
    result.values = {c.name: v.summary(alpha) for c, v in pairs}
    result.unsupported = {c.name: share / result.events for (c, _), share in zip(pairs, unlogged)}
    result.seconds = time.perf_counter() - started
    return result
