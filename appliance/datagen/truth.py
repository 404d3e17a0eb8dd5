"""The ground truth: a score for every (context, action), the expected reward or label it makes, and drift.

- ``linear``: a weight vector per namespace on its latent vector (unless ``main_effects`` is false), plus a random
  bilinear form per interaction (VW's ``-q``); every term has about unit variance, and their sum is scaled to ``scale``.
- ``network``: one tanh hidden layer over every namespace's latent vector, to the same scale.
- ``given``: the spec's ``weights`` written out; each shared namespace's latent vector is its features' given weights
  for every action of the pool (:func:`given_embeddings`), so an action's score is the sum of its column.
- ``clip``: the expected reward held within ``[low, high]`` after the link.
- drift: a second, independent truth; at event ``t`` the score is ``cos(phi) * first + sin(phi) * second``, with
  ``phi`` turning by ``angle_deg`` every ``every`` events (at once, or steadily); or, ``rotate``, the actions pass
  their truths on: after ``j`` changes action ``k`` scores as action ``k + j`` (modulo the pool) did at first.

>>> truth = Truth(TruthSpec(interactions=[("user", "action")]), ["user"], ["action"], np.random.default_rng(0))
>>> shared = {"user": np.ones((2, 8))}
>>> pool = {"action": np.eye(3, 8)}
>>> truth.expected(truth.score(shared, pool, np.array([[0, 1, 2], [2, 1, 0]]), np.arange(2))).round(2).tolist()
[[0.61, 0.53, 0.72], [0.72, 0.53, 0.61]]
"""

from __future__ import annotations

import math

import numpy as np

from appliance.datagen.spec import NamespaceSpec, TruthSpec
from appliance.datagen.spec.features import largest


class _Linear:
    def __init__(self, shared: list[str], actions: list[str], pairs: list[tuple[str, str]], latent: int, rng: np.random.Generator,
                 main_effects: bool = True) -> None:
        self._weights = {name: rng.normal(0.0, 1.0 / math.sqrt(latent), latent) for name in shared + actions} if main_effects else {}
        self._pairs = [(a, b, rng.normal(0.0, 1.0 / latent, (latent, latent))) for a, b in pairs]
        self._norm = 1.0 / math.sqrt(len(self._weights) + len(self._pairs))
        self._actions = set(actions)

    def score(self, shared: dict[str, np.ndarray], pool: dict[str, np.ndarray], offered: np.ndarray) -> np.ndarray:
        n, k = offered.shape
        total = np.zeros((n, k))
        for name, w in self._weights.items():
            total += (pool[name] @ w)[offered] if name in self._actions else (shared[name] @ w)[:, None]
        for a, b, form in self._pairs:
            left = pool[a][offered] if a in self._actions else shared[a][:, None, :]
            right = pool[b][offered] if b in self._actions else shared[b][:, None, :]
            total += np.einsum("nkl,lm,nkm->nk", np.broadcast_to(left, (n, k, left.shape[2])), form,
                               np.broadcast_to(right, (n, k, right.shape[2])))
        return total * self._norm


class _Network:
    def __init__(self, shared: list[str], actions: list[str], hidden: int, latent: int, rng: np.random.Generator) -> None:
        inputs = latent * (len(shared) + len(actions))
        self._shared, self._actions = shared, actions
        self._w_shared = rng.normal(0.0, 1.0 / math.sqrt(inputs), (len(shared) * latent, hidden))
        self._w_actions = rng.normal(0.0, 1.0 / math.sqrt(inputs), (len(actions) * latent, hidden))
        self._bias = rng.normal(0.0, 0.5, hidden)
        self._out = rng.normal(0.0, math.sqrt(2.5 / hidden), hidden)

    def score(self, shared: dict[str, np.ndarray], pool: dict[str, np.ndarray], offered: np.ndarray) -> np.ndarray:
        n, k = offered.shape
        pre = np.zeros((n, k, len(self._bias))) + self._bias
        if self._shared:
            pre += (np.concatenate([shared[name] for name in self._shared], axis=1) @ self._w_shared)[:, None, :]
        if self._actions:
            pre += (np.concatenate([pool[name] for name in self._actions], axis=1) @ self._w_actions)[offered]
        return np.tanh(pre) @ self._out


class _Given:
    def __init__(self, weighed: list[str]) -> None:
        self._weighed = weighed

    def score(self, shared: dict[str, np.ndarray], pool: dict[str, np.ndarray], offered: np.ndarray) -> np.ndarray:
        total = np.zeros(offered.shape)
        for name in self._weighed:
            total += np.take_along_axis(shared[name], offered, axis=1)
        return total


def given_embeddings(spec: TruthSpec, shared: list[NamespaceSpec], pool: int) -> dict[str, np.ndarray]:
    """A given truth's weights as each weighed shared namespace's latent projection: a row per feature of its
    vocabulary, a column per action of the pool (0 for the features the weights leave out).

    >>> spec = TruthSpec(model="given", weights={"t": {"pm": [0.5, -1.0]}})
    >>> given_embeddings(spec, [NamespaceSpec(name="t", type="categorical", names=["am", "pm"])], 2)["t"].tolist()
    [[0.0, 0.0], [0.5, -1.0]]
    """
    embeddings: dict[str, np.ndarray] = {}
    for ns in shared:
        table = (spec.weights or {}).get(ns.name)
        if table is not None:
            rows = np.zeros((largest(ns.count) if ns.type == "dense" else ns.vocabulary, pool))
            rows[ns.indices(table)] = np.array(list(table.values()), np.float64).reshape(len(table), pool)
            embeddings[ns.name] = rows
    return embeddings


def interaction_pairs(spec: TruthSpec, shared: list[str], actions: list[str]) -> list[tuple[str, str]]:
    """The pairs of namespaces the truth crosses: as given, or with ``auto`` every shared one with every action one.

    >>> interaction_pairs(TruthSpec(), ["user", "geo"], ["item"])
    [('user', 'item'), ('geo', 'item')]
    """
    if spec.interactions == "auto":
        return [(a, b) for a in shared for b in actions]
    return list(spec.interactions)


class Truth:
    """Scores and expected rewards of the spec's truth, for the given shared and action namespaces."""

    def __init__(self, spec: TruthSpec, shared: list[str], actions: list[str], rng: np.random.Generator) -> None:
        self.spec = spec
        self.pairs = interaction_pairs(spec, shared, actions)

        def draw() -> _Linear | _Network | _Given:
            if spec.model == "given":
                return _Given([name for name in shared if name in (spec.weights or {})])
            if spec.model == "network":
                return _Network(shared, actions, spec.hidden, spec.latent, rng)
            return _Linear(shared, actions, self.pairs, spec.latent, rng, spec.main_effects)

        self._first = draw()
        self._second = draw() if spec.drift is not None and spec.drift.mode != "rotate" else None
        self._actions = actions

    def angle(self, steps: np.ndarray) -> np.ndarray:
        """The drift's angle (radians) at each event.

        >>> from appliance.datagen.spec import DriftSpec
        >>> t = Truth(TruthSpec(drift=DriftSpec(every=10, mode="abrupt")), ["x"], [], np.random.default_rng(0))
        >>> (t.angle(np.array([0, 9, 10, 25])) / math.pi).tolist()
        [0.0, 0.0, 0.5, 1.0]
        """
        drift = self.spec.drift
        if drift is None:
            return np.zeros(len(steps))
        turns = steps // drift.every if drift.mode == "abrupt" else steps / drift.every
        return turns * math.radians(drift.angle_deg)

    def score(self, shared: dict[str, np.ndarray], pool: dict[str, np.ndarray], offered: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """``scale * score + offset`` for each example (row) and offered action (column, a pool index)."""
        drift = self.spec.drift
        if drift is not None and drift.mode == "rotate":
            offered = (offered + (steps // drift.every)[:, None]) % len(pool[self._actions[0]])
        raw = self._first.score(shared, pool, offered)
        if self._second is not None:
            phi = self.angle(steps)[:, None]
            raw = np.cos(phi) * raw + np.sin(phi) * self._second.score(shared, pool, offered)
        return raw * self.spec.scale + self.spec.offset

    def expected(self, score: np.ndarray) -> np.ndarray:
        """The expected reward (or label) of each score, through the link."""
        expected = 1.0 / (1.0 + np.exp(-score)) if self.spec.link == "logistic" else score
        return np.clip(expected, *self.spec.clip) if self.spec.clip is not None else expected
