"""Logged runs with a known true value, for the coverage benchmark (:mod:`appliance.estimators.coverage`).

- Generated (``appliance/datagen``, cb_adf, 4 actions always offered, Bernoulli rewards through a logistic link):
  ``gen-softmax`` logged by a softmax of the true expected rewards (temperature 0.1, datagen's default) and
  ``gen-epsilon`` by epsilon-greedy on them (0.2: each other action 0.05). Targets: uniform, each constant
  action, a sharper softmax (temperature 0.05) and a reversed one (the worst actions first, temperature 0.2).
  Each seed is a new world (datagen draws its truth from the seed); the true value is the population one, the
  mean over ``truth_examples`` further examples of the same world, not over the logged contexts.
- Simulated worlds (``appliance/worlds``), logged epsilon-greedy (0.2) on the world's expected rewards:
  ``light`` (rewards 1 when the simulated person presses, else 0; targets uniform and each colour, true values by
  a Monte-Carlo of 400,000 contexts, once: the light world's preferences do not depend on its seed),
  ``linear`` and ``drift`` (preferences turning every quarter of the run): rewards linear in Gaussian features
  plus noise, unbounded, so the intervals widen their range as rewards come; targets uniform and each action,
  true value exactly 0 (the features' mean is 0 and their rounding symmetric).

- ``arms``: three Bernoulli arms without context, the best one logged least (:func:`arms_run`): where large
  weights carry a high value, the case vw-estimators' Clopper-Pearson formula gets wrong.

Every target has a reward model for DR: half right (``0.5 * expected + 0.25`` for rewards in [0, 1], ``0.5 *
expected`` for the linear worlds), fixed before the data, so DR stays unbiased and only its variance shows how
good the model is.

>>> runs = generated_runs(seed=1, events=50, truth_examples=2000)
>>> [r.dataset for r in runs], sorted(runs[0].targets)
(['gen-softmax', 'gen-epsilon'], ['a0', 'a1', 'a2', 'a3', 'reversed_softmax', 'sharp_softmax', 'uniform'])
>>> run = world_run("linear", seed=1, events=50)
>>> run.reward_range, run.targets["a0"].truth, len(run.p_log)
(None, 0.0, 50)
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

import numpy as np

from appliance.datagen.policies import Situation, exact_pmf, sample
from appliance.datagen.policies.epsilon_greedy import EpsilonGreedyPolicy
from appliance.datagen.policies.softmax import SoftmaxPolicy
from appliance.estimators.coverage import Run, Target

if TYPE_CHECKING:
    from appliance.worlds.generated import GeneratedWorld

ACTIONS = 4
EPSILON = 0.2
PLACES = 6  # decimal places of the logged propensities
WORLDS = ("light", "linear", "drift")
LOGGING = {"gen-softmax": {"policy": "softmax", "temperature": 0.1}, "gen-epsilon": {"policy": "epsilon_greedy", "epsilon": EPSILON}}
"""The generated datasets: datagen's logging policy for each."""


def _policies(expected: np.ndarray) -> dict[str, np.ndarray]:
    """Each target's probabilities of every action, per context (rows)."""
    offered = np.ones(expected.shape, bool)
    targets = {"uniform": np.full(expected.shape, 1.0 / expected.shape[1])}
    targets.update({f"a{k}": np.eye(expected.shape[1])[np.full(len(expected), k)] for k in range(expected.shape[1])})
    targets["sharp_softmax"] = SoftmaxPolicy(0.05).probabilities(Situation(expected, offered, str))
    targets["reversed_softmax"] = SoftmaxPolicy(0.2).probabilities(Situation(-expected, offered, str))
    return targets


def _targets(expected: np.ndarray, chosen: np.ndarray, model: Callable[[np.ndarray], np.ndarray],
             truths: dict[str, float], keep: set[str] | None = None) -> dict[str, Target]:
    """The targets on logged contexts with these expected rewards and chosen actions; ``truths`` by name."""
    rows, predicted = np.arange(len(chosen)), model(expected)
    return {name: Target(pi[rows, chosen], truths[name], predicted[rows, chosen], (pi * predicted).sum(axis=1))
            for name, pi in _policies(expected).items() if keep is None or name in keep}


def _half_right(expected: np.ndarray) -> np.ndarray:
    return 0.5 * expected + 0.25


def generated_runs(seed: int, events: int, truth_examples: int = 20_000) -> list[Run]:
    """One run of each generated dataset: ``events`` logged examples of a world drawn from ``seed``."""
    from appliance.datagen.draw import Draw
    from appliance.datagen.spec import GenSpec

    runs = []
    for dataset, logging in LOGGING.items():
        spec = GenSpec.model_validate({
            "seed": seed, "examples": events + truth_examples, "problem": {"type": "cb_adf"},
            "actions": {"pool": ACTIONS, "per_example": ACTIONS}, "truth": {"link": "logistic", "outcome": "bernoulli"},
            "logging": logging, "decimals": {"propensities": PLACES}})
        draw, recorded = Draw(spec), _Recorder()
        draw.values = recorded  # type: ignore[assignment]  # keeps each block's expected rewards
        blocks = list(draw.blocks())
        expected = np.concatenate(recorded.expected)
        offered = np.concatenate([b.offered for b in blocks])
        assert (offered == np.arange(ACTIONS)).all(), "every action is offered, in pool order"
        pmf = np.concatenate([b.pmf for b in blocks])[:events] / 10**PLACES
        chosen = np.concatenate([b.label for b in blocks])[:events]
        reward = draw.decimals.values(np.concatenate([b.reward for b in blocks])[:events])
        later = expected[events:]
        truths = {name: float((pi * later).sum(axis=1).mean()) for name, pi in _policies(later).items()}
        runs.append(Run(dataset, pmf[np.arange(events), chosen], np.asarray(reward, float),
                        _targets(expected[:events], chosen, _half_right, truths), (0.0, 1.0)))
    return runs


class _Recorder:
    """Stands in for datagen's :class:`~appliance.datagen.values.Values`: keeps the expected rewards of each block."""

    def __init__(self) -> None:
        self.expected: list[np.ndarray] = []

    def add(self, expected: np.ndarray, mask: np.ndarray, offered: np.ndarray, pmf: np.ndarray | None) -> None:
        self.expected.append(np.where(mask, expected, 0.0))


def _world(name: str, seed: int, events: int) -> GeneratedWorld:
    from appliance.worlds import DriftWorld, LightWorld, LinearWorld

    if name == "light":
        return LightWorld(seed)
    if name == "linear":
        return LinearWorld(8, ACTIONS, 0.1, seed)
    return DriftWorld(8, ACTIONS, 0.1, max(1, events // 4), seed)


@lru_cache(maxsize=1)
def light_truths(contexts: int = 400_000) -> dict[str, float]:
    """Each target's value on the light world, by a Monte-Carlo over ``contexts`` contexts (its preferences are
    the same for every seed; only its draws differ)."""
    expected = _world("light", 2**31 - 1, contexts).expected_in_turn(contexts)
    return {name: float((pi * expected).sum(axis=1).mean()) for name, pi in _policies(expected).items()}


def world_run(name: str, seed: int, events: int) -> Run:
    """``events`` decisions in world ``name`` (``seed``), logged epsilon-greedy on its expected rewards."""
    world = _world(name, seed, events)
    expected = world.expected_in_turn(events)
    # the world draws its contexts from default_rng(seed): the choices and rewards need streams of their own
    rng, draws = np.random.default_rng((seed, 1)), random.Random(f"rewards-{seed}")
    pmf = exact_pmf(EpsilonGreedyPolicy(EPSILON).probabilities(Situation(expected, np.ones(expected.shape, bool), str)), PLACES)
    chosen = sample(pmf, rng, PLACES)
    rows = np.arange(events)
    rewards = [world.reward(m, draws) for m in expected[rows, chosen].tolist()]
    reward = np.array([0.0 if r is None else r for r in rewards])  # nobody pressed: reward 0, as the join's default
    keep = {"uniform", *(f"a{k}" for k in range(ACTIONS))}
    if name == "light":
        targets = _targets(expected, chosen, _half_right, light_truths(), keep)
        return Run(name, pmf[rows, chosen] / 10**PLACES, reward, targets, (0.0, 1.0))
    targets = _targets(expected, chosen, lambda e: 0.5 * e, dict.fromkeys(keep, 0.0), keep)
    return Run(name, pmf[rows, chosen] / 10**PLACES, reward, targets, None)


ARMS_LOGGING = (0.6, 0.3, 0.1)
ARMS_MEANS = (0.3, 0.5, 0.7)
ARMS_TARGETS = {"uniform": (1 / 3, 1 / 3, 1 / 3), "a0": (1.0, 0.0, 0.0), "a1": (0.0, 1.0, 0.0), "a2": (0.0, 0.0, 1.0),
                "far": (0.1, 0.1, 0.8)}


def arms_run(seed: int, events: int) -> Run:
    """``arms``: three Bernoulli arms without context (means 0.3, 0.5, 0.7) logged 0.6, 0.3, 0.1, so the best arm
    is the rarest; targets uniform, each arm and ``far`` (0.1, 0.1, 0.8). True values exact."""
    rng = np.random.default_rng(seed)
    chosen = rng.choice(3, size=events, p=ARMS_LOGGING)
    means, logging = np.array(ARMS_MEANS), np.array(ARMS_LOGGING)
    reward = (rng.random(events) < means[chosen]).astype(float)
    predicted = _half_right(means)
    targets = {name: Target(np.array(pi)[chosen], float(np.dot(pi, means)), predicted[chosen], np.full(events, float(np.dot(pi, predicted))))
               for name, pi in ARMS_TARGETS.items()}
    return Run("arms", logging[chosen], reward, targets, (0.0, 1.0))


def runs(seed: int, events: int, truth_examples: int = 20_000) -> list[Run]:
    """Every dataset's run for ``seed``."""
    return [*generated_runs(seed, events, truth_examples), *(world_run(name, seed, events) for name in WORLDS), arms_run(seed, events)]
