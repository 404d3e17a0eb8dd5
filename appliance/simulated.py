"""Simulated devices: the configured world stands in for sensors and, when no feedback source is
configured, for the person giving feedback.

Each step makes one decision from the world's context and schedules the world's reward after its delay,
so the daemon learns by itself on a laptop, in Docker and on a Pi with nothing wired. With real feedback
configured (a button, MQTT), only the context is simulated: rewards come from the real sources.
"""

from __future__ import annotations

import heapq
import itertools
import random
from typing import Any

from appliance.clock import Clock
from appliance.config.simulation import SimulationConfig
from appliance.loop import Loop
from appliance.simulate import reward_deliveries
from appliance.worlds import World, offered_rewards


class SimulatedDevices:
    def __init__(self, world: World, config: SimulationConfig, loop: Loop, clock: Clock, give_rewards: bool = True) -> None:
        self._world, self._config, self._loop, self._clock = world, config, loop, clock
        self._give_rewards = give_rewards
        self._action_index = {a.id: k for k, a in enumerate(world.actions)}
        self._rng = random.Random(config.seed + 1)
        self._deliveries = reward_deliveries(config, duplicates=False)  # the daemon's rewards carry no reward id
        self._inbox: list[tuple[float, int, str, float]] = []
        self._seq = itertools.count()
        self._step = 0
        self._next_decision = clock.time()
        self.oracle_sum = self.chosen_sum = 0.0
        self._judged = 0
        self.last_context: dict[str, Any] = {}

    def step(self) -> None:
        """Deliver rewards that are due, and decide when the decision interval has passed."""
        now = self._clock.time()
        while self._inbox and self._inbox[0][0] <= now:
            _, _, event_id, value = heapq.heappop(self._inbox)
            self._loop.reward(event_id, value)
        if now < self._next_decision:
            return
        self._next_decision = now + self._config.decision_every_s
        context = self._world.context(self._step)
        self.last_context = context
        decision, ticket = self._loop.decide(context)
        ticket.wait()
        self._step += 1
        action = self._action_index.get(decision.action)
        if not self._give_rewards or action is None:
            return  # the config's actions are not this world's: it can show context, not judge choices
        expected = self._world.expected_rewards(context, self._step - 1)
        self.chosen_sum += expected[action]
        self.oracle_sum += max(offered_rewards(expected, self._action_index, decision.actions))
        self._judged += 1
        feedback = self._world.reward(expected[action], self._rng)
        if feedback is not None:
            for delay in self._deliveries.next():
                heapq.heappush(self._inbox, (now + delay, next(self._seq), decision.event_id, feedback))

    def stats(self) -> dict[str, Any]:
        n = max(self._judged, 1)
        return {"world": self._world.name, "decisions": self._step, "simulated_feedback": self._give_rewards,
                "avg_expected_reward": self.chosen_sum / n if self._judged else None,
                "oracle_avg_reward": self.oracle_sum / n if self._judged else None, "context": self.last_context}
