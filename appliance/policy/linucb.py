"""The LinUCB policy (``policy.type: linucb``): per action a ridge regression of the reward on the context, second
order (its inverse covariance ``A⁻¹`` kept up to date by Sherman-Morrison, O(d²) per event), choosing the action
whose reward could be highest: ``θ·x + alpha·√(xᵀA⁻¹x)``. With ``forgetting`` γ < 1 each update first discounts the
action's past (``A = γA + xxᵀ``, ``b = γb + r·x``: discounted LinUCB), so a drifting world is followed; the prior
the discounts wear away (``ridge·I``) is put back every few updates, where ``A⁻¹`` is recomputed exactly, so it
never falls below 90% of ``ridge`` (and ``A⁻¹`` is always the inverse of ``A``).

Context features get their own dimension in the order they first appear (plus an intercept), up to
``max_features``; later names share one by a stable hash. The model is numpy arrays, saved with ``numpy.savez``
(no pickle).

>>> from appliance.config.linucb_policy import LinUCBPolicyConfig
>>> cfg = LinUCBPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}], "seed": 1})
>>> policy = LinUCBPolicy(cfg)
>>> for i in range(20):  # "on" pays in the dark, "off" in daylight
...     dark = float(i % 2)
...     d = policy.decide({"room": {"dark": dark}}, event_id=f"e{i}", timestamp=0.0)
...     policy.learn(JoinedEvent(d, reward=float((d.action == "on") == bool(dark)), outcome="on_time", rewards_received=1, joined_at=0.0))
>>> policy.decide({"room": {"dark": 1.0}}, "p1", 0.0).action, policy.decide({"room": {"dark": 0.0}}, "p2", 0.0).action
('on', 'off')
>>> policy.stats()["features"], policy.model_version
(1, 20)
"""

from __future__ import annotations

import random
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from appliance.config.linucb_policy import LinUCBPolicyConfig
from appliance.errors import CheckpointError, UsageError
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions
from appliance.policy.exploration import sample

REFRESH_EVERY = 256
"""Updates of an action between two exact inversions of its ``A`` (to shed rounding); more often with forgetting."""


def refresh_every(forgetting: float) -> int:
    """Updates between two exact inversions: with forgetting, before the discounts wear 10% of the prior away.

    >>> refresh_every(1.0), refresh_every(0.99), refresh_every(0.999)
    (256, 10, 100)
    """
    return REFRESH_EVERY if forgetting >= 1.0 else max(1, min(REFRESH_EVERY, round(0.1 / (1.0 - forgetting))))


class LinUCBPolicy:
    """Thread-safe: one lock guards the model."""

    model_suffix = ".npz"
    """Its saved model's file suffix (see :func:`appliance.policy.base.model_suffix`)."""

    def __init__(self, config: LinUCBPolicyConfig) -> None:
        self._config = config
        self._actions = tuple(a.id for a in config.actions)
        self._arm = {a: k for k, a in enumerate(self._actions)}
        self._index: dict[str, int] = {}  # "namespace^name" -> its dimension (0 is the intercept)
        self._folded = 0  # names past max_features, sharing a dimension by hash
        self._rng = random.Random(config.seed)
        self._version = 0
        self._lock = threading.Lock()
        self._refresh = refresh_every(config.forgetting)
        self._reset(1)

    def _reset(self, d: int) -> None:
        k, ridge = len(self._actions), self._config.ridge
        self._a = np.tile(np.eye(d) * ridge, (k, 1, 1))
        self._a_inv = np.tile(np.eye(d) / ridge, (k, 1, 1))
        self._b = np.zeros((k, d))
        self._theta = np.zeros((k, d))
        self._updates = np.zeros(k, dtype=np.int64)

    @property
    def actions(self) -> tuple[str, ...]:
        return self._actions

    @property
    def model_version(self) -> int:
        return self._version

    @property
    def dimensions(self) -> int:
        """The length of a context's vector: the intercept and one per named feature (at most ``max_features``)."""
        return int(self._b.shape[1])

    def _dimension(self, name: str) -> int:
        index = self._index.get(name)
        if index is not None:
            return index
        limit = self._config.max_features
        if len(self._index) >= limit:
            self._folded += 1
            return 1 + zlib.crc32(name.encode()) % limit
        index = self._index[name] = len(self._index) + 1
        return index

    def _vector(self, context: Features) -> np.ndarray:
        """The context as a vector of the model's dimensions (grown first for names it brings)."""
        pairs = [(self._dimension(f"{ns}^{name}"), value) for ns, values in context.items() for name, value in values.items()]
        d = len(self._index) + 1
        if d > self.dimensions:
            self._grow(d)
        x = np.zeros(d)
        x[0] = 1.0
        for index, value in pairs:
            x[index] += value
        return x

    def _grow(self, d: int) -> None:
        """Room for new dimensions: an unseen feature was 0 in every event learned, so the old blocks stand."""
        a, a_inv, b, updates = self._a, self._a_inv, self._b, self._updates
        old = b.shape[1]
        self._reset(d)
        self._a[:, :old, :old], self._a_inv[:, :old, :old], self._b[:, :old] = a, a_inv, b
        self._updates = updates
        self._theta = np.einsum("kij,kj->ki", self._a_inv, self._b)

    def _fit(self, x: np.ndarray) -> np.ndarray:
        """``x`` as long as the model now is (dimensions added since it was built are 0 in it)."""
        return x if len(x) == self.dimensions else np.pad(x, (0, self.dimensions - len(x)))

    def decide(
        self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None
    ) -> Decision:
        offered = offered_actions(actions, self._actions)
        arms: slice | list[int] = slice(None) if offered is self._actions else [self._arm[a] for a in offered]  # a slice copies nothing
        with self._lock:
            x = self._vector(context)
            a_inv = self._a_inv[arms]
            bounds = self._theta[arms] @ x + self._config.alpha * np.sqrt(np.maximum((a_inv @ x) @ x, 0.0))
            best = int(np.argmax(bounds))
            k, epsilon = len(offered), self._config.epsilon
            pmf = [epsilon / k + (1.0 - epsilon if i == best else 0.0) for i in range(k)]
            index = sample(pmf, self._rng.random())
            return Decision(event_id, offered[index], index, pmf[index], tuple(pmf), offered, context, self._version, timestamp, x)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        """Update the chosen action's model. Each declared action has its own, so ``action_features`` change nothing;
        an action not declared here cannot be learned."""
        d = event.decision
        arm = self._arm.get(d.action)
        if arm is None:
            raise UsageError(f"event {d.event_id} chose {d.action!r}, not declared here; linucb keeps one model per declared action")
        with self._lock:
            kept = d.example if isinstance(d.example, np.ndarray) and len(d.example) <= self.dimensions else None
            x = self._vector(d.context) if kept is None else self._fit(kept)
            d.example = None
            self._update(arm, x, event.reward)
            self._version += 1

    def _update(self, arm: int, x: np.ndarray, reward: float) -> None:
        config = self._config
        a, a_inv, b = self._a[arm], self._a_inv[arm], self._b[arm]
        gamma = config.forgetting
        if gamma < 1.0:
            a *= gamma
            a_inv /= gamma
            b *= gamma
        a += np.outer(x, x)
        ax = a_inv @ x
        a_inv -= np.outer(ax, ax) / (1.0 + x @ ax)
        b += reward * x
        self._updates[arm] += 1
        if self._updates[arm] % self._refresh == 0:
            if gamma < 1.0:  # the prior the discounts wore away since the last refresh, put back
                a[np.diag_indices_from(a)] += config.ridge * (1.0 - gamma**self._refresh)
            a_inv[...] = np.linalg.inv(a)
        self._theta[arm] = a_inv @ b

    def stats(self) -> dict[str, Any]:
        """The settings, the features seen and how often each action was learned."""
        config = self._config
        return {"type": "linucb", "alpha": config.alpha, "ridge": config.ridge, "forgetting": config.forgetting,
                "epsilon": config.epsilon, "features": len(self._index), "folded_features": self._folded,
                "learned": dict(zip(self._actions, self._updates.tolist()))}

    def save(self, path: Path) -> None:
        with self._lock, path.open("wb") as f:
            np.savez(f, actions=np.array(self._actions), names=np.array(list(self._index), dtype=str), a=self._a,
                     a_inv=self._a_inv, b=self._b, updates=self._updates, folded=np.array(self._folded))

    def load(self, path: Path, model_version: int) -> None:
        if not zipfile.is_zipfile(path):  # numpy would try it as a pickle, and suggest allowing pickles
            raise CheckpointError(f"{path}: not a linucb model (not the .npz archive GET /api/model gives while policy.type "
                                  "is linucb; a model saved by another policy kind, e.g. VW's, cannot be loaded)")
        try:
            with np.load(path, allow_pickle=False) as saved:
                actions, names = tuple(saved["actions"].tolist()), saved["names"].tolist()
                a, a_inv, b, updates, folded = saved["a"], saved["a_inv"], saved["b"], saved["updates"], int(saved["folded"])
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
            raise CheckpointError(f"{path}: not a linucb model ({err})") from None
        if actions != self._actions:
            raise CheckpointError(f"{path}: the model was learned for actions {', '.join(actions)}; policy.actions declares "
                                  f"{', '.join(self._actions)}")
        d = len(names) + 1
        if a.shape != (len(actions), d, d) or a_inv.shape != a.shape or b.shape != (len(actions), d) or len(updates) != len(actions):
            raise CheckpointError(f"{path}: a linucb model whose arrays do not fit its {len(names)} features")
        with self._lock:
            self._index = {name: i + 1 for i, name in enumerate(names)}
            self._a, self._a_inv, self._b, self._updates, self._folded = a, a_inv, b, updates, folded
            self._theta = np.einsum("kij,kj->ki", a_inv, b)
            self._version = model_version
