"""A world made of a generator spec (:mod:`appliance.datagen`): the pieces ``wabbit gen`` writes files with draw the
world's contexts and judge its actions. The spec's shared namespaces draw the contexts a block at a time, its action
pool gives the actions and their features, its truth every action's expected reward (drift included), and its
``truth.outcome`` and ``truth.noise`` the reward around it. ``linear``, ``drift`` and ``light`` are such specs
(:mod:`appliance.worlds.linear`, :mod:`appliance.worlds.light`).

>>> import random
>>> from appliance.datagen.spec import load_spec_text
>>> spec = load_spec_text("problem: {type: cb_adf}\\nshared: [{name: x, count: 2}]\\nactions: {pool: 3}\\n"
...                       "truth: {link: logistic, outcome: bernoulli}")
>>> world = GeneratedWorld("demo", spec)
>>> ctx = world.context(0)
>>> sorted(ctx["x"]), [a.id for a in world.actions], world.actions[0].features
(['f0', 'f1'], ['a0', 'a1', 'a2'], {'action': {'a0': 1.0}})
>>> expected = world.expected_rewards(ctx, 0)
>>> all(0.0 < p < 1.0 for p in expected), world.reward(0.9, random.Random(1)), world.reward(0.1, random.Random(1))
(True, 1.0, 0.0)
"""

from __future__ import annotations

import random
from typing import Any, Iterator, NamedTuple

import numpy as np

from appliance.config.policy import ActionConfig
from appliance.datagen.ahead import DrawnAhead
from appliance.datagen.draw import Draw
from appliance.datagen.namespaces import NamespaceBlock, draw_shared
from appliance.datagen.spec import GenSpec
from appliance.features import Features


class _Drawn(NamedTuple):
    """One context as drawn: per shared namespace its name, feature names and values; the step it was drawn for and
    every action's expected reward at that step (scored with its block)."""

    features: list[tuple[str, list[str], list[float]]]
    step: int
    expected: list[float]


BLOCK = 1024
"""Contexts drawn at a time: numpy's cost per call (some 60 array operations per namespace make the decimals VW
reads) is shared by this many. A one-namespace spec (``linear``, ``drift``) draws the same contexts in any blocks."""


def _up_to_counts(rows: np.ndarray, counts: np.ndarray) -> list[Any]:
    """Each row (an example) as a list, up to its count of features.

    >>> _up_to_counts(np.array([[1, 2], [3, 4]]), np.array([1, 2]))
    [[1], [3, 4]]
    """
    listed: list[Any] = rows.tolist()
    if len(counts) and int(counts.min()) == rows.shape[1]:  # every example has every column
        return listed
    return [row[:count] for row, count in zip(listed, counts.tolist())]


class GeneratedWorld:
    """The world of ``spec`` (a problem with actions: ``cb_adf`` or ``cb``), every action offered at every step.

    Contexts are drawn and scored a block at a time, for consecutive steps from the one that asked for the block;
    asked about another step, or about a context it did not just draw, the world scores that one alone."""

    def __init__(self, name: str, spec: GenSpec) -> None:
        if spec.problem.type not in ("cb", "cb_adf"):
            raise ValueError(f"a world offers actions to choose among: its spec's problem is cb or cb_adf, not {spec.problem.type}")
        self.name, self.spec = name, spec
        self._gen = Draw(spec)
        self._scale = self._gen.decimals.scale
        pool = self._gen.pool
        self._actions = [ActionConfig(id=action, features={ns.name: dict(zip(ns.names_of(k), self._values(ns)[k])) for ns in pool.namespaces})
                         for k, action in enumerate(pool.ids)]
        self._latents = pool.latents()
        self._drawn = DrawnAhead(self._draw, BLOCK)
        self._asked = 0  # the step of the context asked for last
        self._last: tuple[Features, _Drawn] | None = None

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return [ns.name for ns in self.spec.shared]

    def _values(self, block: NamespaceBlock) -> list[list[float]]:
        """Each example's values as decimals (``0.1234``, not the float32 VW would read), up to its count."""
        return _up_to_counts(block.mantissas / self._scale, block.counts)

    def _score(self, shared: dict[str, np.ndarray], steps: np.ndarray) -> list[list[float]]:
        """Every action's expected reward for each row of the shared namespaces' latent vectors, at ``steps``."""
        truth, everyone = self._gen.truth, np.broadcast_to(np.arange(len(self._actions)), (len(steps), len(self._actions)))
        expected: list[list[float]] = truth.expected(truth.score(shared, self._latents, everyone, steps)).tolist()
        return expected

    def _draw(self, n: int) -> Iterator[_Drawn]:
        """``n`` contexts drawn by the spec's shared namespaces, scored for the steps from the one asked for."""
        blocks, start = draw_shared(self._gen.drawers, n), self._asked
        expected = self._score({ns.name: ns.latent for ns in blocks}, np.arange(start, start + n))
        names = [_up_to_counts(ns.names, ns.counts) for ns in blocks]
        values = [self._values(ns) for ns in blocks]
        return (_Drawn([(ns.name, names[j][i], values[j][i]) for j, ns in enumerate(blocks)], start + i, expected[i])
                for i in range(n))

    def context(self, step: int) -> Features:
        self._asked = step
        drawn = self._drawn.next()
        context: Features = {name: dict(zip(names, values)) for name, names, values in drawn.features}
        self._last = context, drawn
        return context

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        """The truth's expected reward of every action in ``context`` at ``step`` (the step drift follows)."""
        if self._last is not None and context is self._last[0] and step == self._last[1].step:
            return list(self._last[1].expected)
        shared = {d.spec.name: d.latent_of(context[d.spec.name])[None, :] for d in self._gen.drawers}
        return self._score(shared, np.array([step]))[0]

    def reward(self, expected: float, rng: random.Random) -> float | None:
        """``truth.outcome``: bernoulli, 1 with probability ``expected`` else 0; gaussian, ``expected`` plus noise."""
        truth = self.spec.truth
        if truth.outcome == "bernoulli":
            return 1.0 if rng.random() < expected else 0.0
        return expected + rng.gauss(0.0, truth.noise) if truth.noise else expected
