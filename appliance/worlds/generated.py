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
from typing import Iterator, NamedTuple

import numpy as np

from appliance.config.policy import ActionConfig
from appliance.datagen.ahead import DrawnAhead
from appliance.datagen.draw import Draw
from appliance.datagen.namespaces import NamespaceBlock, draw_shared
from appliance.datagen.spec import GenSpec
from appliance.features import Features


class _Drawn(NamedTuple):
    """One context as drawn: the context, the step it was drawn for and every action's expected reward at that step
    (scored with its block)."""

    context: Features
    step: int
    expected: list[float]


BLOCK = 1024
"""Contexts drawn at a time: numpy's cost per call (some 60 array operations per namespace make the decimals VW
reads) is shared by this many. A one-namespace spec (``linear``, ``drift``) draws the same contexts in any blocks."""


def features_of(block: NamespaceBlock, scale: int) -> list[dict[str, float]]:
    """Each example's features (name -> value as a decimal, ``0.1234``, not the float32 VW would read), up to its
    count; a namespace of one feature each is read by the column, without a list per example.

    >>> from appliance.datagen.decimals import Decimals
    >>> from appliance.datagen.namespaces import NamespaceDrawer
    >>> from appliance.datagen.spec import NamespaceSpec
    >>> spec = NamespaceSpec(name="x", type="sparse", count={"min": 1, "max": 2}, vocabulary=3)
    >>> block = NamespaceDrawer(spec, Decimals(2), 2, np.random.default_rng(0)).draw(6)
    >>> features = features_of(block, 100)
    >>> [len(f) for f in features] == block.counts.tolist(), features[0] == dict(zip(block.names_of(0), block.mantissas[0] / 100))
    (True, True)
    """
    values = block.mantissas / scale
    counts = block.counts.tolist()
    if block.names.shape[1] == 1 and min(counts, default=1) == 1:
        return [{name: value} for name, value in zip(block.names[:, 0].tolist(), values[:, 0].tolist())]
    return [dict(zip(names[:count], row[:count])) for names, row, count in zip(block.names.tolist(), values.tolist(), counts)]


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
        self._actions = [ActionConfig(id=action, features={ns.name: features_of(ns, self._scale)[k] for ns in pool.namespaces})
                         for k, action in enumerate(pool.ids)]
        self._latents = pool.latents()
        self._drawn = DrawnAhead(self._draw, BLOCK)
        self._asked = 0  # the step of the context asked for last
        self._last: _Drawn | None = None

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return [ns.name for ns in self.spec.shared]

    def _score(self, shared: dict[str, np.ndarray], steps: np.ndarray) -> list[list[float]]:
        """Every action's expected reward for each row of the shared namespaces' latent vectors, at ``steps``."""
        truth, everyone = self._gen.truth, np.broadcast_to(np.arange(len(self._actions)), (len(steps), len(self._actions)))
        expected: list[list[float]] = truth.expected(truth.score(shared, self._latents, everyone, steps)).tolist()
        return expected

    def _draw(self, n: int) -> Iterator[_Drawn]:
        """``n`` contexts drawn by the spec's shared namespaces, scored for the steps from the one asked for."""
        blocks, start = draw_shared(self._gen.drawers, n), self._asked
        expected = self._score({ns.name: ns.latent for ns in blocks}, np.arange(start, start + n))
        names = [ns.name for ns in blocks]
        contexts = (dict(zip(names, features)) for features in zip(*(features_of(ns, self._scale) for ns in blocks)))
        return map(_Drawn, contexts, range(start, start + n), expected)

    def context(self, step: int) -> Features:
        self._asked = step
        self._last = self._drawn.next()
        return self._last.context

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        """The truth's expected reward of every action in ``context`` at ``step`` (the step drift follows)."""
        if self._last is not None and context is self._last.context and step == self._last.step:
            return list(self._last.expected)
        shared = {d.spec.name: d.latent_of(context[d.spec.name])[None, :] for d in self._gen.drawers}
        return self._score(shared, np.array([step]))[0]

    def expected_in_turn(self, steps: int) -> np.ndarray:
        """Every action's expected reward (one row per step) in the first ``steps`` contexts, without making the
        contexts: a Monte-Carlo over a world's truth needs only these. Once, on a world that has drawn none (it draws
        them without handing them out); the blocks are drawn as :meth:`context` draws them, so the rows are
        ``expected_rewards(context(s), s)`` for each step ``s``, bitwise.

        >>> from appliance.worlds import LightWorld
        >>> world, twin = LightWorld(seed=5), LightWorld(seed=5)
        >>> rows = world.expected_in_turn(BLOCK + 3)
        >>> rows.tolist() == [twin.expected_rewards(twin.context(s), s) for s in range(BLOCK + 3)]
        True
        """
        if self._last is not None:
            raise RuntimeError(f"world {self.name!r} has drawn contexts already: expected_in_turn starts at step 0")
        rows = [np.asarray(self._score({ns.name: ns.latent for ns in draw_shared(self._gen.drawers, BLOCK)},
                                       np.arange(start, start + BLOCK))) for start in range(0, steps, BLOCK)]
        return np.concatenate(rows)[:steps] if rows else np.empty((0, len(self._actions)))

    def reward(self, expected: float, rng: random.Random) -> float | None:
        """``truth.outcome``: bernoulli, 1 with probability ``expected`` else 0; gaussian, ``expected`` plus noise."""
        truth = self.spec.truth
        if truth.outcome == "bernoulli":
            return 1.0 if rng.random() < expected else 0.0
        return expected + rng.gauss(0.0, truth.noise) if truth.noise else expected
