"""Off-policy evaluation benchmarks, on the light workload (:func:`~appliance.bench.vw_bench.light_workload`):

- ``evaluate.events_per_s``: events per second one VW candidate (the appliance's own VW options) is replayed
  at by ``wabbit evaluate`` (building its examples, learning, reading its pmf; the log is read once for all
  candidates), against pyvw learning the same examples pre-parsed (the ceiling for any replay on pyvw). Taken
  in turn in one run; the ratio is the share of pyvw's speed a candidate keeps (goal >= 0.5). ``whole`` is the
  whole command's events/s on the same log with the online, random and 4 constant baselines besides (JSON
  parsing and the estimators included).

>>> sorted(BENCHMARKS)
['evaluate.events_per_s']
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

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


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {"evaluate.events_per_s": bench_evaluate}
