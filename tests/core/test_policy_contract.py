"""One contract for every registered Policy kind (built-in or plug-in): valid pmfs, seeded determinism,
save/load round trip, bad input."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest
from pydantic import TypeAdapter

from appliance.assemble import build_policy
from appliance.config import PolicyConfig, VWPolicyConfig
from appliance.errors import UsageError
from appliance.policy import JoinedEvent, Policy
from appliance.policy.vw import VWPolicy
from appliance.registry import REGISTRY

ACTIONS = ["warm", "cool", "red"]


def maker(kind: str) -> Callable[[int], Policy]:
    def make(seed: int) -> Policy:
        raw = {"type": kind, "actions": [{"id": a} for a in ACTIONS], "seed": seed}
        return build_policy(TypeAdapter(PolicyConfig).validate_python(raw))
    return make


POLICIES: dict[str, Callable[[int], Policy]] = {kind: maker(kind) for kind in REGISTRY.kinds("policies")}


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
