"""Off-policy evaluation benchmarks, on the light workload (:func:`~appliance.bench.vw_bench.light_workload`):

- ``evaluate.events_per_s``: events per second one VW candidate (the appliance's own VW options) is replayed
  at by ``wabbit evaluate`` (building its examples, learning, reading its pmf; the log is read once for all
  candidates), against pyvw learning the same examples pre-parsed (the ceiling for any replay on pyvw). Taken
  in turn in one run; the ratio is the share of pyvw's speed a candidate keeps (goal >= 0.5). ``whole`` is the
  whole command's events/s on the same log with the online, random and 4 constant baselines besides (JSON
  parsing and the estimators included).
- ``learn.python_cb_type``: µs per joined event learned by the VW policy with ``cb_type: python:ips`` (the
  Python estimator's cost targets fed to ``--csoaa_ldf``), against the same policy with VW's own
  ``--cb_type ips``, both epsilon-greedy, on the same decisions in turn; the ratio is the cost of the Python
  estimator on the learn path.

- ``estimators.live_overhead``: the loop's events per second with the default ``policy_value`` observer
  subscribed, against the same loop without it, in turn; ``valued_while_running`` is the share of the joined
  events it had valued when the loop finished (the rest wait in its queue, or were dropped if it was full).

>>> sorted(BENCHMARKS)
['estimators.live_overhead', 'evaluate.events_per_s', 'learn.python_cb_type']
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

from appliance.bench.loop_bench import drive
from appliance.bench.measure import compared, repeat_each, timed
from appliance.bench.vw_bench import LightWorkload, _pre_parsed, light_workload


def write_log(workload: LightWorkload, path: Path) -> None:
    """The workload's decisions as the appliance's DSJSON log (logged uniformly at random)."""
    from appliance.policy.base import Decision, JoinedEvent
    from appliance.storage import dsjson

    actions, p = workload.actions, workload.probability
    multi = dsjson.multi_json(actions, list(workload.action_features.values()))
    with open(path, "wb") as f:
        for i, (context, a) in enumerate(zip(workload.contexts, workload.chosen)):
            decision = Decision(f"e{i}", actions[a], a, p, (p,) * len(actions), actions, context, 0, float(i))
            f.write(dsjson.encode(JoinedEvent(decision, workload.rewards[i], "on_time", 1, float(i)), (), multi))


def _candidate_per_s(events: list[Any], arguments: str) -> float:
    from appliance.evaluation import VWCandidate

    candidate = VWCandidate(arguments)
    return len(events) / timed(lambda: [candidate.step(e) for e in events])


def _whole_per_s(path: Path, arguments: str, events: int) -> float:
    from appliance.evaluation import Candidate, Constant, Logged, Uniform, VWCandidate, evaluate

    candidates: list[Candidate] = [Logged(), Uniform(), *(Constant(a) for a in ("warm", "cool", "red", "blue")), VWCandidate(arguments)]
    return events / timed(lambda: evaluate([path], candidates, ("ips", "snips"), ("cressie_read",)))


def bench_evaluate(quick: bool) -> dict[str, Any]:
    from appliance.storage import dsjson

    workload = light_workload(500 if quick else 3000)
    n, arguments = len(workload.contexts), " ".join(workload.arguments)
    texts = [workload.lines(i, labelled=True) for i in range(n)]
    learn: Callable[[Any, LightWorkload, list[list[str]]], float] = _pre_parsed("learn")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "light.dsjson"
        write_log(workload, path)
        events = list(dsjson.read([path], lambda path, number, why: None))

        def reference() -> float:
            vw = workload.workspace()
            try:
                return 1e6 / learn(vw, workload, texts)
            finally:
                vw.finish()

        s = repeat_each(lambda: {"ours": _candidate_per_s(events, arguments), "reference": reference(),
                                 "whole": _whole_per_s(path, arguments, n)}, repeats=3 if quick else 7)
    return compared("wabbit evaluate events/s per VW candidate (the appliance's options): examples built, learned, pmf read",
                    "events/s", s["ours"], "pyvw learn on the same examples pre-parsed", s["reference"],
                    "share of pyvw's speed a candidate keeps", whole=s["whole"])


def _learn_us(workload: LightWorkload, cb_type: str) -> float:
    """µs per event for a fresh VW policy with ``cb_type`` to learn the workload's decisions (built beforehand)."""
    from appliance.config import VWPolicyConfig
    from appliance.policy.base import Decision, JoinedEvent
    from appliance.policy.vw import VWPolicy

    config = VWPolicyConfig.model_validate({"actions": [{"id": a, "features": f} for a, f in workload.action_features.items()],
                                            "cb_type": cb_type, "exploration": {"type": "epsilon", "epsilon": 0.05}})
    policy = VWPolicy(config)
    actions, p = workload.actions, workload.probability
    events = [JoinedEvent(Decision(f"e{i}", actions[a], a, p, (p,) * len(actions), actions, c, 0, 0.0, policy._builder.shared(c)),
                          workload.rewards[i], "on_time", 1, 0.0) for i, (c, a) in enumerate(zip(workload.contexts, workload.chosen))]

    def learn_all() -> None:
        for event in events:
            policy.learn(event)

    return 1e6 * timed(learn_all) / len(events)


def bench_learn_python(quick: bool) -> dict[str, Any]:
    workload = light_workload(500 if quick else 3000)
    s = repeat_each(lambda: {"ours": _learn_us(workload, "python:ips"), "reference": _learn_us(workload, "ips")}, repeats=3 if quick else 7)
    return compared("VW policy learn µs per joined event with cb_type python:ips (Python cost targets, --csoaa_ldf)", "µs", s["ours"],
                    "the same policy with VW's own --cb_type ips", s["reference"], "the Python estimator's cost on the learn path")


def bench_live_value(quick: bool) -> dict[str, Any]:
    from appliance.assemble import open_loop
    from appliance.clock import FakeClock
    from appliance.config import AppConfig
    from appliance.config.observers import PolicyValueObserverConfig
    from appliance.observers import Observers

    n = 5000 if quick else 20_000
    workload = light_workload(n)
    config = AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "storage": {"log_sync_s": 0.0}})
    valued: list[float] = []  # the share of the joined events the observer had valued when the loop finished

    def events_per_s(observed: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(1_700_000_000.0)
            loop = open_loop(config, clock, Path(tmp), durable=False)
            group = Observers.start(loop.bus, [PolicyValueObserverConfig()] if observed else [], None, loop.learner.action_features)
            seconds = timed(lambda: drive(loop, clock, workload))
            if observed:
                valued.append(group.stats()["policy_value-0"]["candidates"]["online"]["events"] / max(loop.learned, 1))
            group.stop()
            loop.close()
            return n / seconds

    s = repeat_each(lambda: {"ours": events_per_s(True), "reference": events_per_s(False)}, repeats=3 if quick else 5)
    return compared("loop events per second with the default live policy value observer (online, random, 4 constant "
                    "actions; IPS, SNIPS and a confidence sequence each)", "events/s", s["ours"],
                    "the same loop without observers, taken in turn", s["reference"],
                    "the share of the loop's speed the live estimates leave", events=n, valued_while_running=min(valued))


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "evaluate.events_per_s": bench_evaluate, "learn.python_cb_type": bench_learn_python, "estimators.live_overhead": bench_live_value,
}
