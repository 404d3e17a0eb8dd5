"""One contract for every registered Policy kind (built-in, like vw, sklearn and the fake uniform, or a plug-in's):
valid pmfs, seeded determinism, save/load round trip, bad input, a file that is no model or one saved for other
actions, and learning on the linear world (unless the kind declares ``learns = False``).
tests/core/test_example_plugins.py runs it over the demos/plugins package, tests/core/test_plugins_doc.py over docs/plugins.md's."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable

import pytest
from pydantic import TypeAdapter

from appliance.assemble import build_policy
from appliance.config import PolicyConfig, VWPolicyConfig
from appliance.errors import UsageError, WabbitError
from appliance.policy import JoinedEvent, Policy
from appliance.policy.base import learns
from appliance.policy.vw import VWPolicy
from appliance.registry import REGISTRY
from appliance.worlds import LinearWorld

ACTIONS = ["warm", "cool", "red"]


def build(kind: str, seed: int, actions: list[dict[str, Any]] | None = None, **options: Any) -> Policy:
    """A policy of ``kind`` from its config's example values, with ``actions`` (default: ACTIONS) and ``options``."""
    example = REGISTRY.kind("policies", kind).config_class().example
    raw = {**example, "type": kind, "actions": actions or [{"id": a} for a in ACTIONS], "seed": seed, **options}
    return build_policy(TypeAdapter(PolicyConfig).validate_python(raw))


def maker(kind: str) -> Callable[[int], Policy]:
    return lambda seed: build(kind, seed)


POLICIES: dict[str, Callable[[int], Policy]] = {kind: maker(kind) for kind in REGISTRY.kinds("policies")}


def oracle_share(kind: str, events: int = 1000, **options: Any) -> float:
    """On the linear world (8 features, 4 actions, noise 0.1), the share of the oracle's gain over uniform choices
    that ``kind`` earns in expectation over the second half of ``events`` decisions, learning every one at once:
    about 0 for uniform choices, 1 for the oracle."""
    world = LinearWorld(features=8, actions=4, noise=0.1, seed=0)
    policy = build(kind, 1, [a.model_dump() for a in world.actions], **options)
    rng = random.Random(2)
    earned = best = uniform = 0.0
    for i in range(events):
        context = world.context(i)
        expected = world.expected_rewards(context, i)
        d = policy.decide(context, f"e{i}", float(i))
        policy.learn(JoinedEvent(d, world.reward(expected[d.action_index], rng) or 0.0, "on_time", 1, float(i)))
        if i >= events // 2:
            earned, best, uniform = earned + expected[d.action_index], best + max(expected), uniform + sum(expected) / len(expected)
    return (earned - uniform) / (best - uniform)


def vw(seed: int) -> Policy:
    return POLICIES["vw"](seed)


def drive(policy: Policy, n: int = 60) -> list[tuple[str, tuple[float, ...]]]:
    out = []
    for i in range(n):
        ctx = {"room": {"dark": float(i % 2), "loud": (i % 5) / 5}}
        d = policy.decide(ctx, f"e{i}", float(i))
        out.append((d.action, d.pmf))
        reward = 1.0 if (d.action == "warm") == bool(i % 2) else 0.0
        policy.learn(JoinedEvent(d, reward, "on_time", 1, float(i)))
    return out


@pytest.fixture(params=sorted(POLICIES))
def make(request: pytest.FixtureRequest) -> Callable[[int], Policy]:
    return POLICIES[request.param]


def test_uniform_choices_earn_nothing_of_the_oracles_gain() -> None:
    """The reference of the learning check: the fake declares that it does not learn, and indeed it does not."""
    assert abs(oracle_share("uniform")) < 0.1


def test_decisions_are_valid(make: Callable[[int], Policy]) -> None:
    policy = make(1)
    d = policy.decide({"room": {"dark": 1.0}}, "e", 5.0)
    assert d.action in ACTIONS and d.actions == tuple(ACTIONS)
    assert sum(d.pmf) == pytest.approx(1.0) and d.probability == d.pmf[d.action_index] > 0
    assert (d.event_id, d.timestamp, d.model_version) == ("e", 5.0, 0)
    subset = policy.decide({}, "s", 0.0, actions=["red", "cool"])
    assert subset.actions == ("red", "cool") and len(subset.pmf) == 2


def test_seeded_determinism(make: Callable[[int], Policy]) -> None:
    assert drive(make(7)) == drive(make(7))


def test_learning_moves_the_model_version(make: Callable[[int], Policy]) -> None:
    policy = make(0)
    drive(policy, 10)
    assert policy.model_version == 10


def test_save_load_round_trip(make: Callable[[int], Policy], tmp_path: Path) -> None:
    trained = make(3)
    drive(trained, 200)
    trained.save(tmp_path / "model")
    loaded = make(3)
    loaded.load(tmp_path / "model", trained.model_version)
    assert loaded.model_version == 200
    probe = {"room": {"dark": 1.0, "loud": 0.4}}
    assert loaded.decide(probe, "p", 0.0).pmf == trained.decide(probe, "p", 0.0).pmf


def test_bad_input_is_a_usage_error(make: Callable[[int], Policy]) -> None:
    policy = make(0)
    with pytest.raises(UsageError, match="unknown action"):
        policy.decide({}, "e", 0.0, actions=["warm", "purple"])
    with pytest.raises(UsageError, match="repeats an action"):
        policy.decide({}, "e", 0.0, actions=["warm", "warm"])


def test_a_file_that_is_no_model_is_refused_and_the_policy_goes_on(make: Callable[[int], Policy], tmp_path: Path) -> None:
    policy = make(0)
    drive(policy, 20)
    (tmp_path / "model").write_bytes(b"not a model\n" * 10)
    with pytest.raises(WabbitError):
        policy.load(tmp_path / "model", 99)
    assert policy.model_version == 20
    assert sum(policy.decide({"room": {"dark": 1.0}}, "after", 0.0).pmf) == pytest.approx(1.0)


def test_a_model_saved_for_other_actions_is_refused_or_decides_over_the_declared_ones(
        request: pytest.FixtureRequest, make: Callable[[int], Policy], tmp_path: Path) -> None:
    """A checkpoint taken before policy.actions changed: loading it either fails with a WabbitError (the loop then
    falls back to an older checkpoint or a new model) or gives a policy that still decides over every declared action."""
    kind = request.node.callspec.params["make"]
    fewer = build(kind, 0, [{"id": "warm"}, {"id": "cool"}])
    drive(fewer, 20)
    fewer.save(tmp_path / "model")
    policy = make(0)
    try:
        policy.load(tmp_path / "model", 20)
    except WabbitError:
        assert policy.model_version == 0
    d = policy.decide({"room": {"dark": 1.0}}, "after", 0.0)
    assert d.actions == tuple(ACTIONS) and sum(d.pmf) == pytest.approx(1.0)


def test_learning_beats_uniform_choices_on_the_linear_world(request: pytest.FixtureRequest, make: Callable[[int], Policy]) -> None:
    kind = request.node.callspec.params["make"]
    if not learns(make(0)):
        pytest.skip(f"{kind} declares learns = False")
    assert oracle_share(kind) > 0.5


def test_vw_learns_the_better_action() -> None:
    policy = vw(0)
    drive(policy, 600)
    dark = policy.decide({"room": {"dark": 1.0, "loud": 0.2}}, "p1", 0.0)
    light = policy.decide({"room": {"dark": 0.0, "loud": 0.2}}, "p2", 0.0)
    assert dark.pmf[0] > 0.5  # warm when dark
    assert light.pmf[0] < 0.5


def test_vw_refuses_unsafe_passthrough() -> None:
    with pytest.raises(ValueError, match="touches files"):
        VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "vw_args": ["--daemon"]})
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "vw_args": ["--no_such_option"]})
    with pytest.raises(UsageError, match="refused the options"):
        VWPolicy(config)


def restarts_from_its_checkpoint(kind: str, tmp_path: Path) -> None:
    """The loop as the daemon runs it with a policy of ``kind``: decisions, rewards, joins and learning, a checkpoint at
    close, the same model back (action ``b`` pays, ``a`` does not)."""
    import time

    from appliance.embedded import LiveModel

    config = {"policy": {"type": kind, "actions": [{"id": "a"}, {"id": "b"}], "seed": 4}, "join": {"reward_wait_s": 0.05}}
    context = {"user": {"x": 1.0}}
    with LiveModel(config, tmp_path) as model:
        for _ in range(30):
            ranking = model.choose_rank(context)
            model.report_outcome(ranking.event_id, float(ranking.chosen_action == "b"))
        time.sleep(0.5)
        learned = model.loop.policy.model_version
        probe = model.loop.policy.decide(context, "probe", 0.0).pmf  # the policy's own: no pending decision to learn later
    assert learned == 30 and probe[1] > 0.5
    with LiveModel(config, tmp_path) as again:
        assert again.loop.policy.model_version == learned
        assert again.loop.policy.decide(context, "probe", 0.0).pmf == probe
