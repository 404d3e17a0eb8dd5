"""What the policy's reward is compared with: uniform random choice, estimated off-policy from the same events.

A joined event's reward, reweighted by ``1 / (actions * probability)``, is an unbiased (IPS) estimate of what
a uniformly random policy would have earned: the number the dashboard and ``/api/status`` show beside the
policy's own average, overall and over the recent events.

>>> from appliance.policy.base import Decision, JoinedEvent
>>> def joined(reward: float, probability: float) -> JoinedEvent:
...     return JoinedEvent(Decision("e", "a", 0, probability, (probability, 1 - probability), ("a", "b"), {}, 0, 0.0),
...                        reward, "on_time", 1, 0.0)
>>> baseline = RewardBaseline(window=2)
>>> baseline.add_events([joined(1.0, 0.5), joined(0.0, 0.5), joined(1.0, 0.25)])
>>> baseline.averages(), baseline.recent()
((0.6666666666666666, 1.0), (0.5, 1.0))
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

from appliance.policy.base import JoinedEvent


class RewardBaseline:
    """Sums of rewards and of their uniform-random IPS estimates, overall and over the last ``window`` events."""

    def __init__(self, window: int = 100) -> None:
        self.count = 0
        self.reward_sum = 0.0
        self.random_sum = 0.0
        self._recent: deque[tuple[float, float]] = deque(maxlen=window)

    def add_events(self, events: Sequence[JoinedEvent]) -> None:
        rewards = [e.reward for e in events]
        randoms = [e.reward / (len(e.decision.actions) * e.decision.probability) for e in events]
        self.count += len(rewards)
        self.reward_sum += sum(rewards)
        self.random_sum += sum(randoms)
        self._recent.extend(zip(rewards, randoms))

    def averages(self) -> tuple[float | None, float | None]:
        """(the policy's average reward, uniform random's estimate) over every event."""
        if not self.count:
            return None, None
        return self.reward_sum / self.count, self.random_sum / self.count

    def recent(self) -> tuple[float | None, float | None]:
        """The same over the last ``window`` events."""
        if not self._recent:
            return None, None
        n = len(self._recent)
        return sum(r for r, _ in self._recent) / n, sum(x for _, x in self._recent) / n
