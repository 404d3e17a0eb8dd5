"""Learning-time estimators: a policy whose costs come from Python (``cb_type: python:NAME``) learns the model
VW's own ``--cb_type`` learns, on the same events (IPS and DM: weights equal to 1e-6)."""

from __future__ import annotations

import random

import pytest

from appliance.config import VWPolicyConfig
from appliance.errors import ConfigError
from appliance.policy.base import Decision, JoinedEvent
from appliance.policy.vw import VWPolicy

ACTIONS = [{"id": "warm", "features": {"colour": {"warm": 1.0, "red": 1.0}}}, {"id": "cool", "features": {"colour": {"cool": 1.0}}},
           {"id": "dim"}]


def policy(cb_type: str, exploration: dict[str, object] | None = None) -> VWPolicy:
    return VWPolicy(VWPolicyConfig.model_validate({"actions": ACTIONS, "cb_type": cb_type, "bits": 12, "seed": 1,
                                                   "exploration": exploration or {"type": "epsilon", "epsilon": 0.1}}))


def weights(p: VWPolicy) -> list[float]:
    vw = p._vw
    return [vw.get_weight(i, 0) for i in range(vw.num_weights())]


def replay(policies: list[VWPolicy], events: int = 400) -> None:
    """The first policy decides; every policy learns its decision with the same reward."""
    rng = random.Random(0)
    for i in range(events):
        context = {"room": {"level": rng.random(), f"h{rng.randrange(4)}": 1.0}}
        d = policies[0].decide(context, f"e{i}", 0.0)
        reward = float(rng.random() < (0.8 if (d.action == "warm") == (context["room"]["level"] > 0.5) else 0.2))
        for p in policies:
            copy = Decision(d.event_id, d.action, d.action_index, d.probability, d.pmf, d.actions, context, 0, 0.0)
            p.learn(JoinedEvent(copy, reward, "on_time", 1, 0.0))


@pytest.mark.parametrize("name,exploration", [("ips", None), ("dm", None), ("dm", {"type": "softmax", "lambda": 4.0})])
def test_python_estimator_learns_vws_model(name: str, exploration: dict[str, object] | None) -> None:
    """The same model, and the same pmf from it: epsilon-greedy and softmax computed in Python equal VW's."""
    vw, python = policy(name, exploration), policy(f"python:{name}", exploration)
    replay([vw, python])
    ours, theirs = weights(python), weights(vw)
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-6)  # float32 weights (up to ~1.7 with update: adaptive): a few ulps
    assert sum(1 for w in theirs if w) > 20  # it learned something
    context = {"room": {"level": 0.9, "h1": 1.0}}
    assert python.decide(context, "x", 0.0).pmf == pytest.approx(vw.decide(context, "y", 0.0).pmf, abs=1e-6)


@pytest.mark.parametrize("name", ["dr", "mtr"])
def test_the_other_estimators_learn_a_model_of_their_own(name: str) -> None:
    """VW's DR keeps a second regressor and its MTR an importance weight pylibvw cannot set: different models,
    which still learn (their effect on reward is in docs/estimators.md)."""
    vw, python = policy(name), policy(f"python:{name}", {"type": "squarecb"})
    replay([vw, python])
    assert any(weights(python)) and weights(python) != weights(vw)
    pmf = python.decide({"room": {"level": 0.9}}, "x", 0.0).pmf
    assert sum(pmf) == pytest.approx(1.0) and max(pmf) > 0.5


@pytest.mark.parametrize("config,message", [
    ({"cb_type": "python:magic"}, "no cost estimator 'magic'"),
    ({"cb_type": "python:ips", "exploration": {"type": "bag"}}, "exploration must be epsilon, softmax or squarecb"),
    ({"cb_type": "ipss"}, "String should match pattern"),
])
def test_bad_cb_types_are_config_errors(config: dict[str, object], message: str) -> None:
    with pytest.raises((ConfigError, ValueError), match=message):
        VWPolicyConfig.model_validate({"actions": ACTIONS, **config})
