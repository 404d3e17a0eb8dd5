"""One event's whole story, for ``GET /api/events/{event_id}``: the decision, its rewards, how it was learned,
and its late rewards; answered from memory (pending, recently joined, late rewards not handled yet) or, for
older ones, from the event log and ``late.jsonl`` (whose late rewards the write-ahead log no longer holds)."""

from __future__ import annotations

import json
from typing import Any, Iterable

from appliance.join.rewards import LateReward, Reward
from appliance.loop.journal import Journal
from appliance.policy.base import Decision, JoinedEvent
from appliance.storage import dsjson

SCAN_BYTES = 256 * 1024 * 1024
"""How much of the event log (its newest part) is searched for an event memory no longer holds."""


def find_event(event_id: str, waiting: Decision | None, rewards: Iterable[Reward], recent: Iterable[JoinedEvent],
               late: Iterable[LateReward], journal: Journal) -> dict[str, Any] | None:
    """The event as the API shows it, or ``None`` when nothing here knows it. ``waiting`` and ``rewards``: the
    decision while it waits and its rewards so far; ``recent``: the newest joined events; ``late``: late rewards not
    handled yet (a snapshot of the loop's memory: the log is read without holding the loop)."""
    learned = [e for e in recent if e.decision.event_id == event_id]
    found_in = "memory"
    if waiting is None and not any(e.late_key is None for e in learned):
        learned = [dsjson.decode(line)[0] for line in journal.events.find(f'"EventId":"{event_id}"'.encode(), SCAN_BYTES)]
        found_in = "event log"
    joined = next((e for e in learned if e.late_key is None), None)
    decision = waiting or (joined.decision if joined else None)
    if decision is None:
        return None
    late_rewards = [{"value": e.reward, "timestamp": e.joined_at, "handled": "learned"} for e in learned if e.late_key is not None]
    late_rewards += [{"value": r.reward.value, "timestamp": r.reward.timestamp, "reward_id": r.reward.reward_id, "handled": "pending"}
                     for r in late if r.event_id == event_id]
    late_rewards += [{**line, "handled": "logged"} for line in _logged_late(journal, event_id)]
    summary = {**_public(decision), "found_in": found_in, "late_rewards": late_rewards}
    if waiting is not None:
        so_far = [{"value": r.value, "timestamp": r.timestamp, "reward_id": r.reward_id} for r in rewards]
        return {**summary, "state": "pending", "rewards": so_far, "reward": None, "outcome": None}
    assert joined is not None
    outcome = None if joined.outcome == "replay" else joined.outcome  # the log keeps the reward, not why it was that
    return {**summary, "state": "learned", "rewards": [], "reward": joined.reward, "outcome": outcome}


def _public(decision: Decision) -> dict[str, Any]:
    return {k: v for k, v in decision.public().items() if k != "action_index"}


def _logged_late(journal: Journal, event_id: str) -> list[dict[str, Any]]:
    """Late rewards of ``event_id`` that ``late.jsonl`` (or the full one it replaced) holds (under ``late_reward: log``)."""
    found = []
    needle = f'"event_id": "{event_id}"'.encode()
    for line in journal.late.lines():
        if needle in line:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            found.append({"value": record["reward"], "timestamp": record["timestamp"], "reward_id": record.get("reward_id")})
    return found
