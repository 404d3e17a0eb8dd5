"""Drawing the slots of ``ccb`` and ``slates`` examples: each slot's expected rewards, the logging policy's exact
propensities and choice, the rewards, and the true values of the logging, uniform and greedy policies.

Every slot is scored by the truth with the slot's own features added to the context's, so the same action is
worth differently in different slots. ccb slots choose in order, each among the offered (and explicitly included)
actions that earlier slots left: a slot's propensities are conditional on the earlier slots' choices, as VW's
``--ccb_explore_adf`` reads them. slates slots choose apart, each among its own actions; the slate's reward is the
sum of its slots' (the additive reward VW's ``--slates`` assumes).

>>> from appliance.datagen.draw import Draw
>>> from appliance.datagen.spec import load_spec_text
>>> draw = Draw(load_spec_text("examples: 4\\nproblem: {type: ccb}\\nactions: {pool: 5, per_example: 3}\\nslots: {count: 2}"))
>>> slots = next(draw.blocks()).slots
>>> slots.chosen.shape, bool((slots.chosen[:, 0] != slots.chosen[:, 1]).all()), slots.pmf.sum(axis=2).tolist()[0]
((4, 2), True, [1000000, 1000000])
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from appliance.datagen.block import Block, SlotBlock
from appliance.datagen.decimals import LIMIT, Decimals
from appliance.datagen.namespaces import distinct, draw_counts
from appliance.datagen.policies import LoggingPolicy, Situation, exact_pmf, sample
from appliance.datagen.spec import GenSpec
from appliance.datagen.trouble import arrivals
from appliance.datagen.truth import Truth
from appliance.datagen.values import SlotValues


def runs(pool: int, slots: int) -> list[tuple[int, int]]:
    """slates: the (first action, number of actions) each slot owns, the pool split as evenly as it goes.

    >>> runs(7, 3)
    [(0, 2), (2, 2), (4, 3)]
    """
    starts = [j * pool // slots for j in range(slots + 1)]
    return [(starts[j], starts[j + 1] - starts[j]) for j in range(slots)]


class SlotDrawer:
    """The slots of a spec's ccb or slates examples, a block at a time; ``values`` accumulates their true values."""

    def __init__(self, spec: GenSpec, truth: Truth, policy: LoggingPolicy, decimals: Decimals, rng: np.random.Generator,
                 outcome: Callable[[np.ndarray], np.ndarray]) -> None:
        assert spec.slots is not None  # the spec gives ccb and slates their slots
        self._spec, self._truth, self._policy, self._decimals, self._rng, self._outcome = spec, truth, policy, decimals, rng, outcome
        self.slates = spec.problem.type == "slates"
        self.most = spec.slots.largest()
        actions = spec.action_spec()
        self._runs = runs(actions.pool, self.most) if self.slates else []
        per = actions.per_example
        self.width = (max(size for _, size in self._runs) if per == 0 else per if isinstance(per, int) else per.max) if self.slates else 0
        self.values = SlotValues(self.most)

    def offer(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """slates: each slot's offered actions side by side, ``width`` columns per slot."""
        per, width, rng = self._spec.action_spec().per_example, self.width, self._rng
        offered, masks = [], []
        for start, size in self._runs:
            if per == 0:
                index, mask = np.broadcast_to(np.arange(width) % size, (n, width)), np.broadcast_to(np.arange(width) < size, (n, width))
            else:
                counts = draw_counts(rng, per if isinstance(per, int) else (per.min, per.max), n)
                index, mask = distinct(rng, n, width, size), np.arange(width) < counts[:, None]
            offered.append(np.where(mask, index + start, 0))
            masks.append(mask)
        return np.concatenate(offered, axis=1), np.concatenate(masks, axis=1)

    def draw(self, block: Block, shared: dict[str, np.ndarray], pool: dict[str, np.ndarray], slots: dict[str, np.ndarray],
             steps: np.ndarray) -> None:
        """Fill in ``block.slots``, its reward and arrivals, given the latents of the context, the action pool and the slot
        positions (one row per slot)."""
        spec, rng, n, most = self._spec, self._rng, block.n, self.most
        assert spec.slots is not None
        count = spec.slots.count
        counts = draw_counts(rng, count if isinstance(count, int) else (count.min, count.max), n)
        width = self.width or block.offered.shape[1]
        places = spec.decimals.propensities
        chosen = np.full((n, most), -1)
        pmf = np.zeros((n, most, width), np.int64)
        available = np.zeros((n, most, width), bool)
        included = np.zeros((n, most, width), bool) if spec.slots.included is not None else None
        drawn = np.zeros((n, most))
        taken, taken_uniform, taken_greedy = (np.zeros((n, width), bool) for _ in range(3))
        rows = np.arange(n)
        for j in range(most):
            present = counts > j
            context = {**shared, **{name: np.broadcast_to(latent[j], (n, latent.shape[1])) for name, latent in slots.items()}}
            columns = slice(j * width, (j + 1) * width) if self.slates else slice(None)
            expected = self._truth.expected(self._truth.score(context, pool, block.offered[:, columns], steps))
            own = block.mask[:, columns]
            if included is not None:
                assert spec.slots.included is not None
                included[:, j] = self._include(own, spec.slots.included)
                own = own & included[:, j]
            free = own & ~taken
            p = np.where(free, exact_pmf(self._policy.probabilities(Situation(np.where(free, expected, 0.0), free, _no_text)) * free, places), 0)
            choice = sample(p, rng, places)
            chosen[present, j], pmf[present, j], available[present, j] = choice[present], p[present], free[present]
            if not self.slates:
                taken[rows[present], choice[present]] = True
            drawn[:, j] = np.where(present, self._outcome(expected[rows, choice]), 0.0)
            logging = (np.where(free, expected, 0.0) * p).sum(axis=1) / 10**places
            self.values.add(j, present, logging=logging, uniform=self._uniform(expected, own, taken_uniform, present),
                            greedy=self._greedy(expected, own, taken_greedy, present))
        self.values.examples += n
        block.slots = SlotBlock(counts, chosen, pmf, available, included, np.zeros((n, 0), np.int64), self.width)
        self._rewards(block, drawn)

    def _rewards(self, block: Block, drawn: np.ndarray) -> None:
        """Each slot's reward (slates: the slate's, their sum), what arrives, and the costs written."""
        assert block.slots is not None
        spec, decimals = self._spec, self._decimals
        block.arrived = arrivals(spec.rewards, self._rng, block.n)
        default, _ = decimals.quantize(np.array([spec.rewards.default]), nonzero=False)
        observed = block.arrived.observed[:, None]
        if self.slates:
            block.reward, _ = decimals.quantize(drawn.sum(axis=1), nonzero=False)
            block.slots.costs = -np.where(observed, block.reward[:, None], default[0])
        else:
            rewards, _ = decimals.quantize(drawn, nonzero=False)
            block.reward = np.clip(rewards.sum(axis=1), -LIMIT, LIMIT)
            block.slots.costs = -np.where(observed, rewards, default[0])

    def _include(self, own: np.ndarray, k: int) -> np.ndarray:
        """ccb: ``k`` of each example's offered columns, drawn uniformly, for one slot to include."""
        order = np.argsort(np.where(own, self._rng.random(own.shape), 2.0), axis=1)
        out = np.zeros(own.shape, bool)
        np.put_along_axis(out, order[:, :k], True, axis=1)
        return out

    def _uniform(self, expected: np.ndarray, own: np.ndarray, taken: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The uniform policy's expected reward in a slot, after its own (drawn) choices in the earlier slots."""
        free = own & ~taken
        value = np.where(free, expected, 0.0).sum(axis=1) / np.maximum(free.sum(axis=1), 1)
        if not self.slates:
            pick = np.where(free, self._rng.random(free.shape), -1.0).argmax(axis=1)
            taken[np.flatnonzero(present), pick[present]] = True
        return value  # type: ignore[no-any-return]

    def _greedy(self, expected: np.ndarray, own: np.ndarray, taken: np.ndarray, present: np.ndarray) -> np.ndarray:
        """The truly best action's expected reward in a slot, among those the greedy choices of earlier slots left."""
        best = np.where(own & ~taken, expected, -np.inf).argmax(axis=1)
        if not self.slates:
            taken[np.flatnonzero(present), best[present]] = True
        return expected[np.arange(len(best)), best]  # type: ignore[no-any-return]


def _no_text(i: int) -> str:
    return ""
