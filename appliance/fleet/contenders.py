"""The joins compared on one stream, behind one small interface: records in, joined decisions out at a tick.

- :class:`NaiveDict`: a dict of pending decisions; the first reward to arrive is taken, whatever its time;
  every tick scans the whole dict for decisions past their wait. Rewards before their decision are lost.
- :class:`ApplianceJoin`: the appliance's own :class:`~appliance.join.joiner.Joiner`, as the loop drives it
  (processing time: a decision closes the tick its wait ends; a reward for one not yet seen is ``unknown``).
- :class:`DurableJoin`: :class:`~appliance.fleet.durable.DurableJoiner` (SQLite, event time, a grace for
  shipping lag; one transaction per tick).

>>> from appliance.fleet.records import DecisionIn, RewardIn
>>> from appliance.fleet.streams import SCENARIOS
>>> join = NaiveDict(SCENARIOS["seconds"])
>>> join.feed([DecisionIn("e1", 0.0, 0.5), RewardIn("e1", 1.0, 20.0, "r", 20.0)], 0.5)
>>> [(j.event_id, j.reward) for j in join.tick(20.0)]   # naive: a reward after the wait is taken
[('e1', 1.0)]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Protocol, Sequence

from appliance.clock import FakeClock
from appliance.fleet.durable import DurableJoiner
from appliance.fleet.records import DecisionIn, Joined, Record
from appliance.fleet.streams import Scenario
from appliance.join.joiner import Joiner
from appliance.policy.base import Decision


class StreamJoin(Protocol):
    name: str

    def feed(self, records: Sequence[Record], now: float) -> None:
        """Records that arrived by ``now`` (the stream's clock)."""
        ...

    def tick(self, now: float) -> list[Joined]:
        """What the join emits when its clock reads ``now``."""
        ...

    def state(self) -> tuple[int, int]:
        """(records held, bytes held)."""
        ...

    def close(self) -> None: ...


def deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes held by ``obj`` and what it refers to (containers, slotted objects), each object once.

    >>> deep_size([]) < deep_size([("e1", 1.0)])
    True
    """
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        size += sum(deep_size(v, seen) for v in obj)
    elif hasattr(obj, "__slots__"):
        size += sum(deep_size(getattr(obj, s), seen) for s in obj.__slots__ if hasattr(obj, s))
    return size


class NaiveDict:
    name = "naive_dict"

    def __init__(self, scenario: Scenario) -> None:
        self._wait = scenario.wait_s
        self._default = scenario.join_config().default_reward
        self._pending: dict[str, list[Any]] = {}

    def feed(self, records: Sequence[Record], now: float) -> None:
        pending = self._pending
        for r in records:
            if isinstance(r, DecisionIn):
                pending[r.event_id] = [r.timestamp, None]
            else:
                entry = pending.get(r.event_id)
                if entry is not None and entry[1] is None:
                    entry[1] = r.value

    def tick(self, now: float) -> list[Joined]:
        due = [k for k, (ts, _) in self._pending.items() if ts + self._wait <= now]
        out = []
        for k in due:
            ts, value = self._pending.pop(k)
            out.append(Joined(k, self._default if value is None else value, 0 if value is None else 1, ts, now))
        return out

    def state(self) -> tuple[int, int]:
        return len(self._pending), deep_size(self._pending)

    def close(self) -> None:
        self._pending.clear()


_ACTIONS, _PMF = ("a",), (1.0,)


class ApplianceJoin:
    name = "appliance_joiner"

    def __init__(self, scenario: Scenario) -> None:
        from appliance.config import JoinConfig

        config = JoinConfig(reward_wait_s=scenario.wait_s, late_reward="drop", max_pending=1_000_000)
        self._clock = FakeClock(0.0)
        self._joiner = Joiner(config, self._clock)

    def feed(self, records: Sequence[Record], now: float) -> None:
        joiner, clock = self._joiner, self._clock
        for r in records:
            clock.set(r.arrival)
            if isinstance(r, DecisionIn):
                joiner.add(Decision(r.event_id, "a", 0, 1.0, _PMF, _ACTIONS, {}, 0, r.timestamp))
            else:
                joiner.reward(r.event_id, r.value, r.timestamp, r.reward_id)

    def tick(self, now: float) -> list[Joined]:
        self._clock.set(now)
        return [Joined(e.decision.event_id, e.reward, e.rewards_received, e.decision.timestamp, now) for e in self._joiner.due()]

    def state(self) -> tuple[int, int]:
        return self._joiner.held()

    def close(self) -> None:
        """Nothing to release: the appliance's joiner holds no files or threads."""


class DurableJoin:
    name = "durable_sqlite"

    def __init__(self, scenario: Scenario, path: Path) -> None:
        self._joiner = DurableJoiner(path, scenario.join_config(), grace_s=scenario.lag_s)

    def feed(self, records: Sequence[Record], now: float) -> None:
        self._joiner.add(records)

    def tick(self, now: float) -> list[Joined]:
        return self._joiner.due(now)

    def state(self) -> tuple[int, int]:
        return self._joiner.state()

    def close(self) -> None:
        self._joiner.close()
