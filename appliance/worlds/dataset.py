"""Classification data sets scikit-learn ships, as bandits: each sample is a context, each class an action, and
the reward is 1 for the right class (nobody presses otherwise). The samples come round again and again, in a
new seeded order each pass; progressive reward (the share of decisions that were right) is the figure.

``digits``: 1,797 8x8 images of handwritten digits, 64 pixels scaled to [0, 1], 10 actions.
``wine``: 178 wines, 13 chemical measurements standardised, 3 cultivars.

>>> import random
>>> world = DatasetWorld("wine", seed=0)
>>> [a.id for a in world.actions], len(world.context(0)["x"])
(['c0', 'c1', 'c2'], 13)
>>> ctx = world.context(1)
>>> sorted(world.expected_rewards(ctx, 1)), world.reward(1.0, random.Random(0)), world.reward(0.0, random.Random(0))
([0.0, 0.0, 1.0], 1.0, None)
"""

from __future__ import annotations

import random

import numpy as np

from appliance.config.policy import ActionConfig
from appliance.errors import UsageError
from appliance.features import Features

DATASETS = ("digits", "wine")


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The data set's features (scaled) and classes; scikit-learn ships both in its wheel (nothing is downloaded)."""
    try:
        from sklearn import datasets
    except ModuleNotFoundError:
        raise UsageError(f"the {name} world reads scikit-learn's copy of the data set: pip install 'raspberry-wabbit[sklearn]'") from None
    if name == "digits":
        x, y = datasets.load_digits(return_X_y=True)
        return x / 16.0, y
    if name == "wine":
        x, y = datasets.load_wine(return_X_y=True)
        return (x - x.mean(axis=0)) / x.std(axis=0), y
    raise UsageError(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")


class DatasetWorld:
    """One of :data:`DATASETS` as a contextual bandit with a known best action (the label)."""

    def __init__(self, name: str, seed: int = 0) -> None:
        self.name = name
        x, y = load(name)
        self._names = [f"p{i}" for i in range(x.shape[1])]
        self._rows: list[dict[str, float]] = [{n: v for n, v in zip(self._names, row) if v} for row in x.round(4).tolist()]
        self._labels: list[int] = y.tolist()
        self._classes = int(y.max()) + 1
        self._rng = np.random.default_rng(seed)
        self._order: list[int] = []
        self._actions = [ActionConfig(id=f"c{k}", features={"class": {f"c{k}": 1.0}}) for k in range(self._classes)]
        self._last: tuple[Features, int] | None = None  # the context last drawn, and its label

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return ["x"]

    def context(self, step: int) -> Features:
        if not self._order:
            self._order = self._rng.permutation(len(self._labels)).tolist()
        index = self._order.pop()
        context: Features = {"x": dict(self._rows[index])}
        self._last = context, self._labels[index]
        return context

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        """1 for the class of ``context``'s sample, 0 for the others."""
        if self._last is not None and context is self._last[0]:
            label = self._last[1]
        else:  # not the context last drawn: find its sample
            label = self._labels[self._rows.index(context["x"])]
        return [1.0 if k == label else 0.0 for k in range(self._classes)]

    def reward(self, expected: float, rng: random.Random) -> float | None:
        """A press (1.0) with probability ``expected``: always for the right class, never for the others."""
        return 1.0 if rng.random() < expected else None
