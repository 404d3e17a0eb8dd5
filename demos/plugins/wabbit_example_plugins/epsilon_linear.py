"""``policy.type: epsilon_linear``: epsilon-greedy over a linear estimate of each action's reward, learned by SGD.

>>> policy = EpsilonLinearPolicy(EpsilonLinearConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}], "seed": 1}))
>>> for i in range(200):
...     d = policy.decide({"room": {"dark": float(i % 2)}}, f"e{i}", 0.0)
...     policy.learn(JoinedEvent(d, float((d.action == "on") == (i % 2 == 1)), "on_time", 1, 0.0))
>>> [round(p, 3) for p in policy.decide({"room": {"dark": 1.0}}, "p", 0.0).pmf]  # on when dark, exploring 10%
[0.95, 0.05]
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Literal, Sequence

from pydantic import Field

from appliance.config.policy import PolicyConfigBase
from appliance.errors import CheckpointError
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions
from appliance.policy.exploration import epsilon_greedy, sample


class EpsilonLinearConfig(PolicyConfigBase):
    type: Literal["epsilon_linear"] = Field("epsilon_linear", description="Epsilon-greedy over a linear reward estimate per action.")
    epsilon: float = Field(0.1, ge=0.0, le=1.0, description="Share of decisions explored uniformly at random.")
    learning_rate: float = Field(0.05, gt=0.0, le=1.0, description="Step size of each SGD update.")


class EpsilonLinearPolicy:
    Config = EpsilonLinearConfig
    model_suffix = ".json"

    def __init__(self, config: EpsilonLinearConfig) -> None:
        self.config, self.actions, self.model_version = config, tuple(a.id for a in config.actions), 0
        self._rng = random.Random(config.seed)
        self._weights: dict[str, dict[str, float]] = {a: {} for a in self.actions}  # action -> feature -> weight

    def _estimate(self, action: str, x: dict[str, float]) -> float:
        weights = self._weights.get(action, {})
        return sum(weights.get(name, 0.0) * value for name, value in x.items())

    def decide(self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None) -> Decision:
        offered = offered_actions(actions, self.actions)
        x = _flat(context)
        pmf = epsilon_greedy([-self._estimate(a, x) for a in offered], self.config.epsilon)
        i = sample(pmf, self._rng.random())
        return Decision(event_id, offered[i], i, pmf[i], tuple(pmf), offered, context, self.model_version, timestamp)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        x, action = _flat(event.decision.context), event.decision.action
        step = self.config.learning_rate * (event.reward - self._estimate(action, x))
        weights = self._weights.setdefault(action, {})
        for name, value in x.items():
            weights[name] = weights.get(name, 0.0) + step * value
        self.model_version += 1

    def stats(self) -> dict[str, Any]:
        return {"type": "epsilon_linear", "epsilon": self.config.epsilon, "weights": sum(map(len, self._weights.values()))}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self._weights))

    def load(self, path: Path, model_version: int) -> None:
        try:
            weights = {str(a): {str(k): float(v) for k, v in w.items()} for a, w in json.loads(path.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            raise CheckpointError(f"{path}: not an epsilon_linear model (not the JSON file it saves); load a model this policy saved") from None
        self._weights, self.model_version = weights, model_version


def _flat(context: Features) -> dict[str, float]:
    """The context's features by ``namespace^name``, and a constant (the action's mean reward)."""
    return {"": 1.0, **{f"{ns}^{name}": value for ns, values in context.items() for name, value in values.items()}}
