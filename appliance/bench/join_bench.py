"""Join and storage micro-benchmarks: the joiner's insert, reward and evict per operation vs a bare dict doing the
same moves; a DSJSON append per event vs ``json.dumps`` + write; checkpoint save and load vs VW's own.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

from appliance.bench.measure import compared, repeat_each, timed
from appliance.bench.vw_bench import LightWorkload, light_workload
from appliance.policy.base import Decision, JoinedEvent

REWARD_WAIT_S = 3600.0  # longer than any workload lasts: every reward arrives in time
START = 1_700_000_000.0
JOINER_PHASES = ("insert", "reward", "evict")


def _decisions(workload: LightWorkload) -> list[Decision]:
    """The workload's choices as the decisions a policy would make, 100 a (simulated) second."""
    actions, p = workload.actions, workload.probability
    return [Decision(f"e{i}", actions[a], a, p, (p,) * len(actions), actions, context, 0, START + i / 100)
            for i, (context, a) in enumerate(zip(workload.contexts, workload.chosen))]


def _joiner_us(decisions: list[Decision]) -> dict[str, float]:
    """µs per operation of a fresh Joiner: add every decision, one reward each, then close them all in one tick."""
    from appliance.clock import FakeClock
    from appliance.config import JoinConfig
    from appliance.join.joiner import Joiner

    clock = FakeClock(decisions[-1].timestamp)  # the rewards come after the last decision
    joiner = Joiner(JoinConfig(reward_wait_s=REWARD_WAIT_S, max_pending=len(decisions)), clock)

    def insert() -> None:
        for d in decisions:
            joiner.add(d)

    def reward() -> None:
        for d in decisions:
            joiner.reward(d.event_id, 1.0)

    def evict() -> None:
        clock.advance(REWARD_WAIT_S)
        joiner.due()

    return _us_per_decision(decisions, insert, reward, evict)


def _dict_us(decisions: list[Decision]) -> dict[str, float]:
    """The same moves on a plain dict of (decision, rewards): no deadlines, stats, bounds or late memory."""
    pending: dict[str, tuple[Decision, list[float]]] = {}

    def insert() -> None:
        for d in decisions:
            pending[d.event_id] = (d, [])

    def reward() -> None:
        for d in decisions:
            pending[d.event_id][1].append(1.0)

    def evict() -> None:
        for d in decisions:
            del pending[d.event_id]

    return _us_per_decision(decisions, insert, reward, evict)


def _us_per_decision(decisions: list[Decision], *phases: Callable[[], None]) -> dict[str, float]:
    """Each phase of :data:`JOINER_PHASES` timed in turn, in µs per decision."""
    return {name: 1e6 * timed(phase) / len(decisions) for name, phase in zip(JOINER_PHASES, phases)}


def _joiner_figure(phase: str, what: str) -> Callable[[bool], dict[str, Any]]:
    def bench(quick: bool) -> dict[str, Any]:
        decisions = _decisions(light_workload(2000 if quick else 10_000))

        def run() -> dict[str, float]:
            return {**{f"ours.{k}": v for k, v in _joiner_us(decisions).items()},
                    **{f"dict.{k}": v for k, v in _dict_us(decisions).items()}}

        s = repeat_each(run, repeats=5 if quick else 15)
        return compared(f"joiner {phase}: µs per {what} ({len(decisions)} pending)", "µs", s[f"ours.{phase}"],
                        "a plain dict of (decision, rewards) doing the same move", s[f"dict.{phase}"],
                        "what the joiner's bookkeeping multiplies the bare dict move by")

    bench.__doc__ = f"Joiner {phase} per {what} vs a plain dict."
    return bench


def bench_dsjson(quick: bool) -> dict[str, Any]:
    """Per joined event: our DSJSON encoder + the segment log's write, vs ``json.dumps`` of the same dict + write."""
    from appliance.storage import dsjson
    from appliance.storage.eventlog import EventLog

    workload = light_workload(1000 if quick else 5000)
    events = [JoinedEvent(d, r, "on_time", 1, d.timestamp + 3) for d, r in zip(_decisions(workload), workload.rewards)]
    multi = dsjson.multi_json(workload.actions, list(workload.action_features.values()))  # cached, as the loop does
    dicts = [json.loads(dsjson.encode(e, (), multi)) for e in events]
    n = len(events)
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog(Path(tmp) / "events", segment_bytes=1 << 40, fsync=False)
        with open(Path(tmp) / "reference.json", "a") as plain:

            def ours() -> None:
                log.write([dsjson.encode(e, (), multi) for e in events])
                log.sync()

            def reference() -> None:
                for d in dicts:
                    plain.write(json.dumps(d) + "\n")
                plain.flush()

            s = repeat_each(lambda: {"ours": 1e6 * timed(ours) / n, "reference": 1e6 * timed(reference) / n},
                            repeats=5 if quick else 15)
        log.close()
    return compared("DSJSON append: µs per joined event (encode from the decision + segment log write, flushed "
                    "per batch)", "µs", s["ours"], "json.dumps of the same event's dict + file write",
                    s["reference"], "what our encoder and segment log multiply json.dumps + a plain write by",
                    events=n)


def _trained_policy(n: int) -> Any:
    """A VW policy on the light world after learning ``n`` events (a model of realistic size)."""
    from appliance.assemble import build_policy
    from appliance.config import AppConfig

    policy = build_policy(AppConfig().effective_policy())
    workload = light_workload(n)
    for i, (context, reward) in enumerate(zip(workload.contexts, workload.rewards)):
        policy.learn(JoinedEvent(policy.decide(context, f"e{i}", 0.0), reward, "on_time", 1, 0.0))
    return policy


def _checkpoint_ms(quick: bool) -> tuple[dict[str, dict[str, Any]], float]:
    """Save and load through the checkpoint store, and VW's own save and open, in turn on one trained model:
    summaries in ms, and the model's size in MB."""
    import vowpalwabbit

    from appliance.storage.checkpoints import CheckpointStore
    from appliance.storage.log_segments import LogPosition

    policy = _trained_policy(500 if quick else 5000)
    with tempfile.TemporaryDirectory() as tmp:
        store = CheckpointStore(Path(tmp) / "checkpoints", keep=2)
        plain = Path(tmp) / "plain.vw"
        policy.save(plain)

        def open_plain() -> float:
            opened: list[Any] = []
            ms = 1e3 * timed(lambda: opened.append(vowpalwabbit.Workspace(arg_list=policy.arguments + ["-i", str(plain)])))
            opened[0].finish()
            return ms

        s = repeat_each(lambda: {
            "save": 1e3 * timed(lambda: store.save(policy, policy.model_version, LogPosition(1, 0))),
            "save.reference": 1e3 * timed(lambda: policy.save(plain)),
            "load": 1e3 * timed(lambda: store.load_latest(policy)),
            "load.reference": open_plain(),
        }, repeats=5 if quick else 15)
        return s, plain.stat().st_size / 1e6


def bench_checkpoint_save(quick: bool) -> dict[str, Any]:
    """Atomic checkpoint (temp file, fsync, sha256, sidecar, rename, prune) vs VW's bare save of the same model."""
    s, size_mb = _checkpoint_ms(quick)
    return compared("checkpoint save ms: atomic, fsynced, with sha256 sidecar (light-world model)", "ms", s["save"],
                    "Workspace.save of the same model to a plain file", s["save.reference"],
                    "what durability (fsyncs, checksum, sidecar, rename) multiplies VW's save by", model_mb=size_mb)


def bench_checkpoint_load(quick: bool) -> dict[str, Any]:
    """Verified checkpoint load (sha256, new workspace, old one finished) vs VW opening the same model file."""
    s, size_mb = _checkpoint_ms(quick)
    return compared("checkpoint load ms: newest checkpoint verified by sha256 and swapped into the policy", "ms",
                    s["load"], "vowpalwabbit.Workspace(initial regressor -i) of the same model", s["load.reference"],
                    "what verifying and swapping multiply VW's open by", model_mb=size_mb)


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "joiner.insert": _joiner_figure("insert", "decision added"),
    "joiner.reward": _joiner_figure("reward", "reward joined to its pending decision"),
    "joiner.evict": _joiner_figure("evict", "decision closed by the tick after its wait"),
    "dsjson.append": bench_dsjson,
    "checkpoint.save": bench_checkpoint_save,
    "checkpoint.load": bench_checkpoint_load,
}
