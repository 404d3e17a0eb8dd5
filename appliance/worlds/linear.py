"""``linear``: N Gaussian context features, K actions, expected reward linear in the context, Gaussian noise.

The world is a generator spec (:func:`linear_spec`): a dense namespace ``x`` of N standard normal features, K actions
with an identity namespace ``arm``, and a truth made of the interaction of the two only (no main effects), so each
action's expected reward is its own random linear function of the context, of mean 0 and variance about 1.

>>> import random
>>> world = LinearWorld(features=3, actions=2, noise=0.0, seed=0)
>>> ctx = world.context(0)
>>> sorted(ctx["x"]), [a.id for a in world.actions], world.actions[1].features
(['f0', 'f1', 'f2'], ['a0', 'a1'], {'arm': {'a1': 1.0}})
>>> expected = world.expected_rewards(ctx, 0)
>>> len(expected), world.reward(expected[1], random.Random(0)) == expected[1]
(2, True)
"""

from __future__ import annotations

from typing import Any

from appliance.datagen.spec import GenSpec
from appliance.worlds.generated import GeneratedWorld


def linear_spec(features: int, actions: int, noise: float, seed: int, drift_every: int | None = None) -> GenSpec:
    """The spec of the ``linear`` world, and of ``drift`` when the actions pass their preferences on every
    ``drift_every`` decisions.

    >>> spec = linear_spec(4, 3, 0.1, seed=7, drift_every=100)
    >>> spec.shared[0].count, spec.action_spec().pool, spec.truth.interactions, spec.truth.drift.mode
    (4, 3, 'auto', 'rotate')
    """
    truth: dict[str, Any] = {"main_effects": False, "latent": min(features, 256), "noise": noise}
    if drift_every is not None:
        truth["drift"] = {"every": drift_every, "mode": "rotate"}
    return GenSpec.model_validate({
        "seed": seed, "examples": 10**10, "problem": {"type": "cb_adf"},
        "shared": [{"name": "x", "type": "dense", "count": features}],
        "actions": {"pool": actions, "namespaces": [{"name": "arm", "type": "identity"}]}, "truth": truth})


class LinearWorld(GeneratedWorld):
    def __init__(self, features: int = 8, actions: int = 4, noise: float = 0.1, seed: int = 0) -> None:
        super().__init__("linear", linear_spec(features, actions, noise, seed))
