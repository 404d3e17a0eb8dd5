"""The LinUCB policy beyond the contract suite (which runs it like every kind): its inverse equals the exact one,
forgetting follows a drifting world that the stationary model loses, features beyond max_features share
dimensions, checkpoints of other actions or broken files are refused, and a live model restarts from its
checkpoint as the daemon's loop takes it."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import vowpalwabbit

from appliance.config import load_config_text
from appliance.errors import CheckpointError, ConfigError, UsageError
from appliance.policy import JoinedEvent
from appliance.policy.linucb import LinUCBPolicy
from appliance.policy.model_check import check_model_file
from appliance.worlds import DriftWorld
from tests.core.test_policy_contract import ACTIONS, build, drive, oracle_share, restarts_from_its_checkpoint


def linucb(**options: object) -> LinUCBPolicy:
    policy = build("linucb", 0, **options)
    assert isinstance(policy, LinUCBPolicy)
    return policy


@pytest.mark.parametrize("forgetting", [1.0, 0.99])
def test_the_sherman_morrison_inverse_is_the_exact_one(forgetting: float) -> None:
    policy = linucb(forgetting=forgetting)
    drive(policy, 300)  # past one exact refresh of the busiest action, and between two
    for a, a_inv in zip(policy._a, policy._a_inv):
        np.testing.assert_allclose(a_inv, np.linalg.inv(a), rtol=1e-6, atol=1e-9)


def test_it_learns_the_linear_world_close_to_the_oracle() -> None:
    assert oracle_share("linucb") > 0.9


def drift_share(forgetting: float, events: int = 3000, every: int = 600) -> float:
    """The share of the oracle's expected reward earned on a world whose best actions rotate every ``every`` decisions."""
    world = DriftWorld(features=4, actions=3, noise=0.1, drift_every=every, seed=2)
    policy = build("linucb", 1, [a.model_dump() for a in world.actions], forgetting=forgetting)
    rng, earned, best = random.Random(3), 0.0, 0.0
    for i in range(events):
        context = world.context(i)
        expected = world.expected_rewards(context, i)
        d = policy.decide(context, f"e{i}", 0.0)
        policy.learn(JoinedEvent(d, world.reward(expected[d.action_index], rng) or 0.0, "on_time", 1, 0.0))
        earned, best = earned + expected[d.action_index], best + max(expected)
    return earned / best


def test_forgetting_follows_a_drifting_world_the_stationary_model_loses() -> None:
    forgetting, stationary = drift_share(0.99), drift_share(1.0)
    assert forgetting > 0.6 and forgetting > stationary + 0.3, (forgetting, stationary)


def test_features_past_max_features_share_dimensions_by_hash() -> None:
    policy = linucb(max_features=4)
    for i in range(3):
        policy.decide({"a": {f"f{j}": 1.0 for j in range(3 * i, 3 * i + 3)}}, f"e{i}", 0.0)
    stats = policy.stats()
    assert (stats["features"], stats["folded_features"], policy.dimensions) == (4, 5, 5)


def test_a_decision_made_before_new_features_came_is_learned_in_the_grown_model() -> None:
    policy = linucb()
    early = policy.decide({"x": {"a": 1.0}}, "early", 0.0)
    policy.decide({"x": {"b": 1.0, "c": 1.0}}, "later", 0.0)
    policy.learn(JoinedEvent(early, 1.0, "on_time", 1, 0.0))
    assert policy.dimensions == 4 and policy.stats()["learned"][early.action] == 1
    assert policy._b[policy.actions.index(early.action)].tolist() == [1.0, 1.0, 0.0, 0.0]


def test_epsilon_keeps_every_action_possible_for_offline_evaluation() -> None:
    d = linucb(epsilon=0.3).decide({"x": {"a": 1.0}}, "e", 0.0)
    assert sorted(d.pmf) == pytest.approx([0.1, 0.1, 0.8])


def test_checkpoints_of_other_actions_or_other_files_are_refused(tmp_path: Path) -> None:
    trained = linucb()
    drive(trained, 20)
    trained.save(tmp_path / "model")
    other = build("linucb", 0, [{"id": "x"}, {"id": "y"}])
    with pytest.raises(CheckpointError, match="learned for actions warm, cool, red; policy.actions declares x, y"):
        other.load(tmp_path / "model", 20)
    (tmp_path / "junk").write_text("not numpy")
    with pytest.raises(CheckpointError, match="not a linucb model"):
        linucb().load(tmp_path / "junk", 1)
    vowpalwabbit.Workspace("--cb_explore_adf --quiet").save(str(tmp_path / "vw.model"))  # a user's file from policy.type: vw
    with pytest.raises(CheckpointError, match="not a linucb model") as refused:
        linucb().load(tmp_path / "vw.model", 1)
    assert "pickle" not in str(refused.value) and "policy.type is linucb" in str(refused.value), refused.value


def test_an_undeclared_action_cannot_be_learned() -> None:
    policy = linucb()
    d = policy.decide({}, "e", 0.0)
    foreign = JoinedEvent(type(d)(d.event_id, "purple", 0, 1.0, (1.0,), ("purple",), {}, 0, 0.0), 1.0, "on_time", 1, 0.0)
    with pytest.raises(UsageError, match="'purple', not declared here; linucb keeps one model per declared action"):
        policy.learn(foreign)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ConfigError, match="policy.forgetting"):
        load_config_text("policy: {type: linucb, actions: [{id: a}, {id: b}], forgetting: 0.5}")


def test_a_live_model_with_the_linucb_policy_restarts_from_its_checkpoint(tmp_path: Path) -> None:
    restarts_from_its_checkpoint("linucb", tmp_path)


def test_a_model_passes_the_model_check_of_uploads_and_model_sources(tmp_path: Path) -> None:
    policy = linucb()
    drive(policy, 20)
    policy.save(tmp_path / "model")
    check_model_file(tmp_path / "model", {"type": "linucb", "actions": [{"id": a} for a in ACTIONS]})
    with pytest.raises(UsageError, match=r"^the linucb policy cannot use this model \(.*learned for actions warm, cool, red.*\); "
                                         r"upload a model this appliance saved with the same policy section \(GET /api/model\)$"):
        check_model_file(tmp_path / "model", {"type": "linucb", "actions": [{"id": "x"}, {"id": "y"}]})
