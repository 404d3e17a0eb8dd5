"""Apprentice mode: act mostly by a baseline action while the policy learns, until the policy is estimated better.

Each decision takes the baseline action with probability ``1 - explore`` and the policy's own choice otherwise,
and is logged with that mixed distribution, so every propensity is exact. From the joined events the policy's
value and the baseline's are estimated off-policy (IPS, with 95% bounds); once the policy's lower bound clears
the baseline's upper bound, after ``min_events``, the apprentice steps aside and the policy acts alone.

>>> import random
>>> from appliance.policy import Decision, JoinedEvent
>>> apprentice = Apprentice("off", explore=0.1, min_events=10, rng=random.Random(0))
>>> d = Decision("e1", "on", 0, 0.9, (0.9, 0.1), ("on", "off"), {}, 0, 0.0)
>>> apprentice.act(d); [round(p, 6) for p in d.pmf], d.action
([0.09, 0.91], 'off')
>>> apprentice.learned([JoinedEvent(d, 0.0, "on_time", 1, 1.0)]); apprentice.stats()["events"]
1
"""

from __future__ import annotations

import logging
import math
import random
from bisect import bisect_right
from collections import OrderedDict
from itertools import accumulate
from typing import Any, Mapping, Sequence

from appliance.policy.base import Decision, JoinedEvent

log = logging.getLogger(__name__)
Z95 = 1.96


class RunningMean:
    """A mean and its standard error, one value at a time (Welford)."""

    def __init__(self, n: int = 0, mean: float = 0.0, m2: float = 0.0) -> None:
        self.n, self.mean, self.m2 = n, mean, m2

    def add(self, value: float) -> None:
        self.n += 1
        delta = value - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (value - self.mean)

    def bounds(self) -> tuple[float, float]:
        """The mean's 95% interval (Gaussian)."""
        half = Z95 * math.sqrt(self.m2 / (self.n - 1) / self.n) if self.n > 1 else math.inf
        return self.mean - half, self.mean + half


class Apprentice:
    """Decides the action the loop takes in apprentice mode; not thread-safe (the loop serialises calls)."""

    def __init__(self, baseline: str, explore: float, min_events: int, rng: random.Random, pending: int = 100_000) -> None:
        self.baseline, self.explore, self.min_events, self._rng = baseline, explore, min_events, rng
        self.active = True
        self._policy_pmf: OrderedDict[str, tuple[float, ...]] = OrderedDict()  # event id -> what the policy alone gave
        self._pending = pending
        self.policy_value, self.baseline_value = RunningMean(), RunningMean()

    def act(self, decision: Decision) -> None:
        """Turn the policy's fresh decision (nobody holds it yet) into the apprentice's, in place."""
        if not self.active or self.baseline not in decision.actions:
            return
        own, baseline = decision.pmf, decision.actions.index(self.baseline)
        mixed = tuple(self.explore * p + (1.0 - self.explore) * (i == baseline) for i, p in enumerate(own))
        index = min(bisect_right(list(accumulate(mixed)), self._rng.random()), len(mixed) - 1)
        decision.action, decision.action_index, decision.probability, decision.pmf = decision.actions[index], index, mixed[index], mixed
        self._policy_pmf[decision.event_id] = own
        if len(self._policy_pmf) > self._pending:
            self._policy_pmf.popitem(last=False)

    def learned(self, events: Sequence[JoinedEvent]) -> None:
        """Take the joined events in; step aside once the policy is estimated better than the baseline."""
        for event in events:
            own = self._policy_pmf.pop(event.decision.event_id, None)
            if own is None:
                continue
            d = event.decision
            self.policy_value.add(event.reward * own[d.action_index] / d.probability)
            self.baseline_value.add(event.reward * (d.action == self.baseline) / d.probability)
        if self.active and self.policy_value.n >= self.min_events and self.policy_value.bounds()[0] > self.baseline_value.bounds()[1]:
            self.active = False
            log.info("apprentice: the policy is estimated better than %r (%.4f vs %.4f over %d events): it acts alone now",
                     self.baseline, self.policy_value.mean, self.baseline_value.mean, self.policy_value.n)

    def stats(self) -> dict[str, Any]:
        return {"active": self.active, "baseline_action": self.baseline, "events": self.policy_value.n,
                "policy_value": self.policy_value.bounds() if self.policy_value.n > 1 else None,
                "baseline_value": self.baseline_value.bounds() if self.baseline_value.n > 1 else None}

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps, so a restart neither forgets the switch nor the estimates."""
        p, b = self.policy_value, self.baseline_value
        return {"active": self.active, "policy": [p.n, p.mean, p.m2], "baseline": [b.n, b.mean, b.m2]}

    def restore(self, state: Mapping[str, Any]) -> None:
        if state:
            self.active = bool(state["active"])
            self.policy_value, self.baseline_value = RunningMean(*state["policy"]), RunningMean(*state["baseline"])
