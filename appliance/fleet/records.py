"""What a fleet's join works on: decisions and rewards as they arrive, what it emits, and the exact reference.

Every joiner here shares the appliance joiner's semantics in event time (``join:`` of the config): a decision
at ``ts`` takes the rewards for its event id stamped within ``[ts, ts + reward_wait_s]``, duplicates (same reward
id) counted once, combined by ``aggregation``; a decision without one gets ``default_reward``. What differs is
*when* a joiner can tell that the wait is over, and whether it still sees a reward that arrived before its
decision or after the wait's end in processing time. :func:`reference_join` answers from the whole stream at
once: the joined set every streaming joiner must reproduce.

>>> from appliance.config import JoinConfig
>>> records = [DecisionIn("e1", 0.0, 1.0), RewardIn("e1", 1.0, 2.0, "r1", 0.5),  # the reward arrived first
...            RewardIn("e1", 1.0, 2.0, "r1", 3.0), DecisionIn("e2", 5.0, 5.0), RewardIn("e2", 1.0, 20.0, "r2", 20.0)]
>>> reference_join(records, JoinConfig(reward_wait_s=10))
{'e1': (1.0, 1), 'e2': (0.0, 0)}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

from appliance.config.join import JoinConfig
from appliance.join.rewards import Reward, aggregate


@dataclass(frozen=True, slots=True)
class DecisionIn:
    """A decision as the central side receives it: its event id, when it was made, when it arrived, and the
    appliance whose log it came in (``None``: not known, or its log's order is not)."""

    event_id: str
    timestamp: float
    arrival: float
    source: str | None = None


@dataclass(frozen=True, slots=True)
class RewardIn:
    """A reward delivery: the event id it is for, its value, when it was observed, its id, when it arrived, and
    the appliance whose log it came in."""

    event_id: str
    value: float
    timestamp: float
    reward_id: str | None
    arrival: float
    source: str | None = None


Record = Union[DecisionIn, RewardIn]


@dataclass(frozen=True, slots=True)
class Joined:
    """One joined decision: its reward (aggregated, or the default), how many distinct rewards made it, and the
    time (in the stream's clock) it was emitted, to compare with the end of its wait."""

    event_id: str
    reward: float
    rewards: int
    decided: float
    emitted: float


JoinedSet = dict[str, tuple[float, int]]
"""event id -> (reward, number of distinct rewards): what two joins are compared on."""


def joined_set(joined: Iterable[Joined]) -> JoinedSet:
    return {j.event_id: (round(j.reward, 9), j.rewards) for j in joined}


def combine(decided: float, rewards: Sequence[Reward], config: JoinConfig) -> tuple[float, int]:
    """The joined reward of a decision at ``decided`` from its candidate rewards: those inside the wait, each
    reward id once (the first delivery of it), aggregated; the default when none.

    >>> from appliance.config import JoinConfig
    >>> combine(0.0, [Reward(1.0, 3.0, "a"), Reward(1.0, 4.0, "a"), Reward(0.0, 11.0, "b")], JoinConfig(reward_wait_s=10))
    (1.0, 1)
    """
    seen: set[str] = set()
    kept: list[Reward] = []
    for r in rewards:
        if not decided <= r.timestamp <= decided + config.reward_wait_s:
            continue
        if r.reward_id is not None:
            if r.reward_id in seen:
                continue
            seen.add(r.reward_id)
        kept.append(r)
    if not kept:
        return config.default_reward, 0
    return aggregate(kept, config.aggregation), len(kept)


def reference_join(records: Iterable[Record], config: JoinConfig) -> JoinedSet:
    """The exact join of a whole stream, order of arrival ignored: every decision, with its rewards."""
    decided: dict[str, float] = {}
    rewards: dict[str, list[Reward]] = {}
    for r in records:
        if isinstance(r, DecisionIn):
            decided[r.event_id] = r.timestamp
        else:
            rewards.setdefault(r.event_id, []).append(Reward(r.value, r.timestamp, r.reward_id))
    out: JoinedSet = {}
    for event_id, ts in decided.items():
        value, n = combine(ts, rewards.get(event_id, ()), config)
        out[event_id] = (round(value, 9), n)
    return out


def mismatches(got: JoinedSet, want: JoinedSet) -> int:
    """How many event ids are missing, extra or joined differently.

    >>> mismatches({"a": (1.0, 1), "b": (0.0, 0)}, {"a": (1.0, 1), "c": (0.0, 0)})
    2
    """
    return sum(1 for k in got.keys() | want.keys() if got.get(k) != want.get(k))
