"""Drawing examples a block at a time: contexts, offered actions, the truth's expected rewards, labels or the
logging policy's choice and reward, times and trouble. Every writer reads the same blocks, so one spec and seed
give the same examples in every format.

>>> from appliance.datagen.spec import load_spec_text
>>> draw = Draw(load_spec_text("examples: 5\\nproblem: {type: cb_adf}\\nactions: {pool: 6, per_example: 3}"))
>>> block = next(draw.blocks())
>>> block.n, block.offered.shape, block.pmf.sum(axis=1).tolist()
(5, (5, 3), [1000000, 1000000, 1000000, 1000000, 1000000])
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from appliance.datagen.block import ActionPool, Block
from appliance.datagen.decimals import Decimals
from appliance.datagen.namespaces import NamespaceDrawer, distinct, draw_counts, draw_shared
from appliance.datagen.policies import Situation, build_policy, exact_pmf, sample
from appliance.datagen.slots import SlotDrawer
from appliance.datagen.spec import GenSpec
from appliance.datagen.spec.problem import BANDITS
from appliance.datagen.trouble import Clock, arrivals
from appliance.datagen.truth import Truth, given_embeddings
from appliance.datagen.values import Values

BLOCK = 256
"""Examples drawn at a time: numpy's cost per call is shared by this many, and memory stays constant."""


class Draw:
    """The examples of a spec, a block at a time; ``values`` accumulates the true values. A policy that is a VW
    model reads each example's text through ``example_text``, which the caller sets."""

    def __init__(self, spec: GenSpec) -> None:
        self.spec = spec
        self.rng = np.random.default_rng(spec.seed)
        self.decimals = Decimals(spec.decimals.values)
        actions = spec.action_spec()
        self._offered = actions.offered()
        self.problem = spec.problem.type
        latent = spec.truth.latent
        shared_names = [ns.name for ns in spec.shared]
        slot_names = [ns.name for ns in spec.slots.namespaces] if spec.slots is not None else []
        action_names = [ns.name for ns in actions.namespaces] if self.problem != "regression" and self.problem != "binary" else []
        self.truth = Truth(spec.truth, shared_names + slot_names, action_names, self.rng)
        given = given_embeddings(spec.truth, spec.shared, actions.pool) if spec.truth.model == "given" else {}
        self.drawers = [NamespaceDrawer(ns, self.decimals, latent, self.rng, embedding=given.get(ns.name)) for ns in spec.shared]
        """One per shared namespace: the contexts."""
        pool_drawers = [NamespaceDrawer(ns, self.decimals, latent, self.rng, actions.pool, ids=actions.ids) for ns in actions.namespaces]
        ids = ["-1", "1"] if self.problem == "binary" else actions.ids or [f"a{k}" for k in range(actions.pool)]
        self.pool = ActionPool(ids if self.problem != "regression" else ["label"],
                               [d.draw(actions.pool) for d in pool_drawers] if action_names else [])
        self._policy = build_policy(spec.logging) if self.problem in BANDITS else None
        self._slots: SlotDrawer | None = None
        if spec.slots is not None and self._policy is not None:
            most = spec.slots.largest()
            self.pool.slots = [NamespaceDrawer(ns, self.decimals, latent, self.rng, most, "s").draw(most) for ns in spec.slots.namespaces]
            self._slots = SlotDrawer(spec, self.truth, self._policy, self.decimals, self.rng, self._outcome)
        self._clock = Clock(spec.time)
        self.values = Values(self.pool.ids)
        self.example_text: Callable[[Block, int], str] = lambda block, i: ""

    def blocks(self) -> Iterator[Block]:
        done, total = 0, self.spec.examples
        while done < total:
            block = self._block(done, min(BLOCK, total - done))
            done += block.n
            yield block

    def _offer(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        pool = len(self.pool.ids)
        if self.problem == "regression":
            return np.zeros((n, 1), np.int64), np.ones((n, 1), bool)
        offered = self._offered
        if offered == pool:
            return np.broadcast_to(np.arange(pool), (n, pool)).copy(), np.ones((n, pool), bool)
        width = offered if isinstance(offered, int) else offered.max
        counts = draw_counts(self.rng, offered if isinstance(offered, int) else (offered.min, offered.max), n)
        mask = np.arange(width) < counts[:, None]
        return np.where(mask, distinct(self.rng, n, width, pool), 0), mask

    def summary(self) -> dict[str, Any]:
        """The true values of the examples drawn so far (see :mod:`appliance.datagen.values`)."""
        if self._slots is not None:
            return self._slots.values.summary()
        return self.values.summary(logging=self.problem in BANDITS)

    def _block(self, start: int, n: int) -> Block:
        rng, spec = self.rng, self.spec
        shared = draw_shared(self.drawers, n)
        offered, mask = self._slots.offer(n) if self._slots is not None and self._slots.slates else self._offer(n)
        steps = np.arange(start, start + n)
        block = Block(start, shared, offered, mask, self._clock.next(n, rng), np.zeros(n, np.int64))
        latents = {ns.name: ns.latent for ns in shared}
        if self._slots is not None:
            self._slots.draw(block, latents, self.pool.latents(), {ns.name: ns.latent for ns in self.pool.slots}, steps)
        else:
            score = self.truth.score(latents, self.pool.latents(), offered, steps)
            if self.problem in BANDITS:
                self._bandit(block, self.truth.expected(score))
            else:
                self._supervised(block, score)
        block.corrupt = rng.random(n) < spec.corrupt
        block.cut = rng.random(n)
        return block

    def _supervised(self, block: Block, score: np.ndarray) -> None:
        rng, problem, n = self.rng, self.problem, block.n
        if problem == "regression":
            expected = self.truth.expected(score)
            block.label, _ = self.decimals.quantize(self._outcome(expected[:, 0]), nonzero=False)
            self.values.add(expected, block.mask, block.offered, None)
        elif problem == "binary":
            p1 = 1.0 / (1.0 + np.exp(-score[:, 0]))
            block.label = np.where(rng.random(n) < p1, 1, -1)
            self.values.add(np.stack([1.0 - p1, p1], axis=1), np.ones((n, 2), bool), np.tile([0, 1], (n, 1)), None)
        elif problem == "multiclass":
            odds = np.exp(score - score.max(axis=1, keepdims=True))
            chances = odds / odds.sum(axis=1, keepdims=True)
            block.label = (np.cumsum(chances, axis=1) > rng.random(n)[:, None]).argmax(axis=1) + 1
            self.values.add(chances, block.mask, block.offered, None)
        else:  # cost-sensitive: every offered class's cost
            expected = self.truth.expected(score)
            block.costs, _ = self.decimals.quantize(-self._outcome(expected), nonzero=False)
            self.values.add(expected, block.mask, block.offered, None)

    def _outcome(self, expected: np.ndarray) -> np.ndarray:
        """A draw of the reward (or label) around each expected value."""
        if self.spec.truth.outcome == "bernoulli":
            return (self.rng.random(expected.shape) < expected).astype(float)
        return expected + self.rng.normal(0.0, self.spec.truth.noise, expected.shape) if self.spec.truth.noise else expected

    def _bandit(self, block: Block, expected: np.ndarray) -> None:
        assert self._policy is not None
        places = self.spec.decimals.propensities
        situation = Situation(np.where(block.mask, expected, 0.0), block.mask, lambda i: self.example_text(block, i))
        block.pmf = np.where(block.mask, exact_pmf(self._policy.probabilities(situation) * block.mask, places), 0)
        block.label = sample(block.pmf, self.rng, places)
        chosen = np.take_along_axis(expected, block.label[:, None], axis=1)[:, 0]
        reward, _ = self.decimals.quantize(self._outcome(chosen), nonzero=False)
        block.reward, block.arrived = reward, arrivals(self.spec.rewards, self.rng, block.n)
        default, _ = self.decimals.quantize(np.array([self.spec.rewards.default]), nonzero=False)
        block.costs = -np.where(block.arrived.observed, reward, default[0])[:, None]
        self.values.add(expected, block.mask, block.offered, block.pmf / 10**places)
