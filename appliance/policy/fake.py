"""A shipped fake policy: uniform choices, seeded, with a tiny JSON "model" that counts what it learned.

Tests and the contract suite use it where Vowpal Wabbit itself is not the subject.

>>> policy = UniformPolicy.of(["a", "b"], seed=3)
>>> d = policy.decide({}, event_id="e", timestamp=0.0)
>>> d.pmf
(0.5, 0.5)
>>> policy.learn(JoinedEvent(d, reward=1.0, outcome="on_time", rewards_received=1, joined_at=1.0))
>>> policy.model_version, policy.reward_sum
(1, 1.0)
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Sequence

from appliance.config.policy import ActionConfig, PolicyConfigBase, UniformPolicyConfig
from appliance.errors import CheckpointError, UsageError
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions


class UniformPolicy:
    """Also the ``uniform`` policy kind: the random baseline every learning policy should beat."""

    learns = False
    """It counts what it learned but never changes its choices (see :func:`appliance.policy.base.learns`)."""
    model_suffix = ".json"
    """Its model is a small JSON file (see :func:`appliance.policy.base.model_suffix`)."""

    def __init__(self, config: PolicyConfigBase) -> None:
        self._actions = tuple(a.id for a in config.actions)
        self._rng = random.Random(config.seed)
        self._version = 0
        self.reward_sum = 0.0

    @classmethod
    def of(cls, actions: Sequence[str], seed: int = 0) -> UniformPolicy:
        """A uniform policy over ``actions`` (ids), without writing a config."""
        if len(actions) < 2 or len(set(actions)) != len(actions):
            raise UsageError("a policy needs at least two distinct actions")
        return cls(UniformPolicyConfig(actions=[ActionConfig(id=a) for a in actions], seed=seed))

    @property
    def actions(self) -> tuple[str, ...]:
        return self._actions

    @property
    def model_version(self) -> int:
        return self._version

    def decide(
        self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None
    ) -> Decision:
        offered = offered_actions(actions, self._actions)
        index = self._rng.randrange(len(offered))
        p = 1.0 / len(offered)
        return Decision(event_id, offered[index], index, p, (p,) * len(offered), offered, context, self._version, timestamp)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        self._version += 1
        self.reward_sum += event.reward

    def stats(self) -> dict[str, Any]:
        return {"type": "uniform", "reward_sum": self.reward_sum}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"version": self._version, "reward_sum": self.reward_sum}))

    def load(self, path: Path, model_version: int) -> None:
        try:
            state = json.loads(path.read_text())
            self.reward_sum = float(state["reward_sum"])
        except OSError as err:
            raise CheckpointError(f"{path}: cannot read the model ({err.strerror})") from None
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{path}: not a uniform model (not the JSON file GET /api/model gives while policy.type is "
                                  "uniform; a model saved by another policy kind, e.g. VW's, cannot be loaded)") from None
        self._version = model_version
