"""The scikit-learn policy (``policy.type: sklearn``): a scikit-learn model with ``partial_fit`` predicts each
offered action's reward from hashed features (the context's, the action's, and the two crossed, as VW's
interactions cross them), the shared Python exploration turns the predictions into the pmf (epsilon-greedy,
softmax, SquareCB), and every joined event is learned as it comes. Models are saved with skops.

scikit-learn is imported when this module is, which only a config with ``type: sklearn`` does.

>>> from appliance.config.sklearn_policy import SklearnPolicyConfig
>>> cfg = SklearnPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}], "seed": 1})
>>> policy = SklearnPolicy(cfg)
>>> d = policy.decide({"room": {"dark": 1.0}}, event_id="e1", timestamp=0.0)
>>> d.pmf  # nothing learned yet: every action is predicted the same reward
(0.5, 0.5)
>>> policy.learn(JoinedEvent(d, reward=1.0, outcome="on_time", rewards_received=1, joined_at=1.0))
>>> policy.model_version, policy.stats()["estimator"]
(1, 'SGDRegressor')
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any, Sequence

from sklearn.feature_extraction import FeatureHasher

from appliance.config.explorations import SquareCB
from appliance.config.sklearn_policy import SklearnPolicyConfig
from appliance.errors import UsageError
from appliance.estimators.costs import cost_estimator
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions
from appliance.policy.exploration import explore, sample
from appliance.policy.sklearn_model import CostModel, estimator_class, new_estimator


def feature_rows(context: Features, actions: Sequence[Features]) -> list[dict[str, float]]:
    """One row of named features per action: the context's, the action's, and each context feature crossed with
    each action feature (the product of their values), named as VW's audit names them.

    >>> feature_rows({"room": {"dark": 0.5}}, [{"Action": {"on": 1.0}}])
    [{'room^dark': 0.5, 'Action^on': 1.0, 'room^dark*Action^on': 0.5}]
    """
    shared = [(f"{ns}^{name}", value) for ns, values in context.items() for name, value in values.items()]
    rows = []
    for features in actions:
        own = [(f"{ns}^{name}", value) for ns, values in features.items() for name, value in values.items()]
        row = dict(shared)
        row.update(own)
        row.update((f"{c}*{a}", cv * av) for c, cv in shared for a, av in own)
        rows.append(row)
    return rows


class SklearnPolicy:
    """Thread-safe: one lock guards the model."""

    model_suffix = ".skops"
    """Its saved model's file suffix (see :func:`appliance.policy.base.model_suffix`)."""

    def __init__(self, config: SklearnPolicyConfig) -> None:
        self._config = config
        self._features = config.action_features()
        self._actions = tuple(self._features)
        self._hasher = FeatureHasher(n_features=2**config.bits, input_type="dict")
        estimator = new_estimator(estimator_class(config.estimator.class_), config.estimator.params, config.seed, 2**config.bits)
        self._model = CostModel(estimator, config.success_reward)
        self._costs = cost_estimator(config.cb_type)
        self._rng = random.Random(config.seed)
        self._version = 0
        self._lock = threading.Lock()

    @property
    def actions(self) -> tuple[str, ...]:
        return self._actions

    @property
    def model_version(self) -> int:
        return self._version

    def _rows(self, context: Features, actions: Sequence[str], action_features: Sequence[Features] | None = None) -> Any:
        """The hashed rows (a sparse matrix) of ``actions`` in ``context``."""
        features = action_features if action_features is not None else [self._features[a] for a in actions]
        return self._hasher.transform(feature_rows(context, features))

    def decide(
        self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None
    ) -> Decision:
        offered = offered_actions(actions, self._actions)
        rows = self._rows(context, offered)
        with self._lock:
            pmf = explore(self._config.exploration, self._model.costs(rows), self._version)
            index = sample(pmf, self._rng.random())
            return Decision(event_id, offered[index], index, pmf[index], tuple(pmf), offered, context, self._version, timestamp, rows)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        """Learn one event: the cost estimator's targets (``cb_type``) for the chosen action, or for every offered
        one. ``action_features`` supplies the actions' features when they are not declared here."""
        d = event.decision
        if action_features is None and any(a not in self._features for a in d.actions):
            raise UsageError(f"event {d.event_id} offered undeclared actions {d.actions}; pass their features")
        rows = d.example if d.example is not None and action_features is None else self._rows(d.context, d.actions, action_features)
        d.example = None
        probability = 1.0 if isinstance(self._config.exploration, SquareCB) else d.probability  # as VW's SquareCB learns
        with self._lock:
            predicted = self._model.costs(rows) if self._costs.needs_predictions else None
            targets = self._costs.costs(d.action_index, -event.reward, probability, predicted, len(d.actions))
            try:
                self._model.learn(rows[[d.action_index]] if self._costs.only_chosen else rows, targets)
            except ValueError as err:
                raise UsageError(f"policy.estimator {self._config.estimator.class_} cannot learn event {d.event_id} ({err}); "
                                 "choose an estimator that takes any real-valued features, e.g. SGDRegressor") from None
            self._version += 1

    def stats(self) -> dict[str, Any]:
        """The estimator, its parameters and how the policy explores and learns."""
        config = self._config
        return {"type": "sklearn", "estimator": config.estimator.class_, "params": config.estimator.params,
                "exploration": config.exploration.type, "cb_type": config.cb_type, "bits": config.bits, "fitted": self._model.fitted}

    def save(self, path: Path) -> None:
        with self._lock:
            self._model.save(path)

    def load(self, path: Path, model_version: int) -> None:
        model = self._model.load(path)
        columns = getattr(model.estimator, "n_features_in_", 2**self._config.bits)
        if columns != 2**self._config.bits:
            raise UsageError(f"{path}: the model learned {columns} hashed features, policy.bits {self._config.bits} gives "
                             f"{2**self._config.bits}; set policy.bits to {columns.bit_length() - 1}")
        with self._lock:
            self._model, self._version = model, model_version
