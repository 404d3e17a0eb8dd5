"""Other libraries' bandits, and a plain Python one, behind the ``Policy`` protocol, so the learning-quality suite
runs them through the very loop, joiner, delays and losses the appliance's own policies get (``Simulation(policy=)``).

They are benchmark contenders, not policy kinds a config can name: their ``save`` writes what their state costs
to keep (``model_bytes`` in the suite), and they cannot be loaded again.

>>> policy = PythonEpsilonGreedy(("a", "b"), epsilon=0.2, seed=1)
>>> d = policy.decide({"x": {"f": 1.0}}, "e1", 0.0)
>>> d.pmf  # nothing learned: the two are tied
(0.5, 0.5)
>>> policy.learn(JoinedEvent(d, 1.0, "on_time", 1, 0.0))
>>> [round(p, 6) for p in policy.decide({"x": {"f": 1.0}}, "e2", 0.0).pmf][d.action_index], policy.model_version
(0.9, 1)
"""

from __future__ import annotations

import json
import pickle
import random
from pathlib import Path
from typing import Any, Sequence

from appliance.errors import UsageError
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions
from appliance.policy.exploration import epsilon_greedy, sample


def flat(context: Features) -> dict[str, float]:
    """Namespaced features as the flat dict river's contextual policies take.

    >>> flat({"audio": {"level": 0.5}, "time": {"h5": 1.0}})
    {'audio.level': 0.5, 'time.h5': 1.0}
    """
    return {f"{ns}.{name}": value for ns, values in context.items() for name, value in values.items()}


class Contender:
    """What the adapters share: declared actions, a learned-events count, and no loading."""

    def __init__(self, actions: Sequence[str]) -> None:
        self._actions = tuple(actions)
        self._version = 0

    @property
    def actions(self) -> tuple[str, ...]:
        return self._actions

    @property
    def model_version(self) -> int:
        return self._version

    def load(self, path: Path, model_version: int) -> None:
        raise UsageError(f"{type(self).__name__} is a benchmark contender: it saves its state to be measured, never loads one")


class RiverPolicy(Contender):
    """A river bandit policy (``river.bandit``): contextual ones get the flattened context. It learns the reward as
    river's ``update`` takes it; the pmf is all on the arm it pulled (river gives no probabilities)."""

    def __init__(self, policy: Any, actions: Sequence[str]) -> None:
        from river import bandit

        super().__init__(actions)
        self._policy = policy
        self._contextual = isinstance(policy, bandit.base.ContextualPolicy)

    def decide(self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None) -> Decision:
        offered = offered_actions(actions, self._actions)
        arms = list(offered)
        arm = self._policy.pull(arms, context=flat(context)) if self._contextual else self._policy.pull(arms)
        index = offered.index(arm)
        pmf = tuple(1.0 if i == index else 0.0 for i in range(len(offered)))
        return Decision(event_id, arm, index, 1.0, pmf, offered, context, self._version, timestamp)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        d = event.decision
        if self._contextual:
            self._policy.update(d.action, flat(d.context), event.reward)
        else:
            self._policy.update(d.action, event.reward)
        self._version += 1

    def stats(self) -> dict[str, Any]:
        return {"type": f"river.{type(self._policy).__name__}"}

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self._policy))  # measured only (its size), never loaded


class PythonEpsilonGreedy(Contender):
    """The plain Python baseline: per action a linear model of the reward on the context (and an intercept), learned by
    stochastic gradient descent, chosen epsilon-greedily. No numpy, no library: what a few lines of Python earn."""

    def __init__(self, actions: Sequence[str], epsilon: float = 0.05, learning_rate: float = 0.05, seed: int = 0) -> None:
        super().__init__(actions)
        self._weights: dict[str, dict[str, float]] = {a: {} for a in self._actions}
        self._epsilon, self._rate = epsilon, learning_rate
        self._rng = random.Random(seed)

    def _predict(self, action: str, x: dict[str, float]) -> float:
        w = self._weights[action]
        return w.get("", 0.0) + sum(w.get(name, 0.0) * value for name, value in x.items())

    def decide(self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None) -> Decision:
        offered = offered_actions(actions, self._actions)
        x = flat(context)
        pmf = epsilon_greedy([-self._predict(a, x) for a in offered], self._epsilon)
        index = sample(pmf, self._rng.random())
        return Decision(event_id, offered[index], index, pmf[index], tuple(pmf), offered, context, self._version, timestamp)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        d = event.decision
        x = flat(d.context)
        w = self._weights[d.action]
        step = self._rate * (event.reward - self._predict(d.action, x))
        w[""] = w.get("", 0.0) + step
        for name, value in x.items():
            w[name] = w.get(name, 0.0) + step * value
        self._version += 1

    def stats(self) -> dict[str, Any]:
        return {"type": "python epsilon-greedy", "epsilon": self._epsilon, "learning_rate": self._rate}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self._weights))
