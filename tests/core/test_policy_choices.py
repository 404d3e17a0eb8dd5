"""Configs VW accepts (issue 23): every exploration with every cb_type validates exactly when Vowpal Wabbit starts
with it, RegCB gets the appliance's cost range and learns, `wabbit config default` says what each exploration is
good at; and `wabbit simulate` runs the policy a user would run, with drift every N events and data-set worlds."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import vowpalwabbit

from appliance.cli import main
from appliance.config import AppConfig, VWPolicyConfig, load_config_text
from appliance.config.explorations import EXPLORATIONS
from appliance.config.vw_policy import UPDATES
from appliance.errors import ConfigError
from appliance.policy.vw import vw_arguments
from tests.core.test_policy_contract import oracle_share

CB_TYPES = ("mtr", "ips", "dr", "dm", "sm")
"""VW's own estimators (``python:NAME`` cb types explore in Python and are checked apart)."""


def vw_starts(config: VWPolicyConfig, cb_type: str) -> bool:
    """Whether VW starts with the config's options, its cb_type replaced by ``cb_type``, and learns one event."""
    arguments = vw_arguments(config)
    arguments[arguments.index("--cb_type") + 1] = cb_type
    try:
        workspace = vowpalwabbit.Workspace(arg_list=arguments)
    except RuntimeError:
        return False
    workspace.learn(["shared |s a:1", "0:-1:0.5 |Action a", "|Action b"])
    workspace.finish()
    return True


@pytest.mark.parametrize("exploration", [kind.model_fields["type"].default for kind in EXPLORATIONS])
def test_a_config_validates_exactly_when_vw_starts_with_it(exploration: str) -> None:
    actions = [{"id": "a"}, {"id": "b"}]
    accepted = []
    for cb_type in CB_TYPES:
        raw: dict[str, Any] = {"actions": actions, "exploration": {"type": exploration}, "cb_type": cb_type}
        try:
            VWPolicyConfig.model_validate(raw)
            accepted.append(cb_type)
        except ValueError:
            pass
    with_mtr = VWPolicyConfig.model_validate({**raw, "cb_type": "mtr"})
    started = [cb_type for cb_type in CB_TYPES if vw_starts(with_mtr, cb_type)]
    # one deliberate exception: VW starts --regcbopt with any cb_type, but RegCB is built on its regression (mtr), as
    # --regcb (refused by VW with any other) is
    assert accepted == (["mtr"] if exploration == "regcb" else started)
    assert "mtr" in accepted


def test_the_refusal_says_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"exploration squarecb works with cb_type mtr only \(Vowpal Wabbit refuses cb_type dr "
                       r"with it\): set cb_type: mtr, or choose an exploration that takes any cb_type \(epsilon, first, bag"):
        load_config_text("policy: {actions: [{id: a}, {id: b}], cb_type: dr}")


def test_regcb_learns_in_the_appliances_cost_range() -> None:
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "exploration": {"type": "regcb"}})
    arguments = " ".join(vw_arguments(config))
    assert "--regcbopt --mellowness 0.1 --cb_min_cost -1.0 --cb_max_cost 0.0" in arguments
    ranged, vw_default = oracle_share("vw", exploration={"type": "regcb"}), oracle_share(
        "vw", exploration={"type": "regcb", "min_cost": 0.0, "max_cost": 1.0})
    assert ranged > 0.6 and ranged > vw_default + 0.1, (ranged, vw_default)
    with pytest.raises(ConfigError, match=r"min_cost \(0.0\) must be below max_cost \(0.0\)"):
        load_config_text("policy: {actions: [{id: a}, {id: b}], exploration: {type: regcb, min_cost: 0}}")


@pytest.mark.parametrize("exploration,passed", [
    ({"type": "squarecb", "elim": True, "mellowness": 0.01},
     "--squarecb --gamma_scale 10.0 --gamma_exponent 0.5 --elim --mellowness 0.01 --cb_min_cost -1.0 --cb_max_cost 0.0"),
    ({"type": "rnd", "alpha": 0.3, "invlambda": 1}, "--rnd 3 --epsilon 0.0 --rnd_alpha 0.3 --rnd_invlambda 1.0"),
    ({"type": "bag", "greedify": True}, "--bag 5 --epsilon 0.0 --greedify"),
])
def test_an_explorations_options_reach_vw_and_it_learns(exploration: dict[str, Any], passed: str) -> None:
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "exploration": exploration})
    assert " ".join(vw_arguments(config)).endswith(passed) and vw_starts(config, "mtr")


def test_squarecbs_elimination_gets_the_cost_range_and_needs_vw() -> None:
    plain = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}]})
    assert "--elim" not in vw_arguments(plain) and "--cb_min_cost" not in vw_arguments(plain)  # the range only with elim
    with pytest.raises(ConfigError, match=r"min_cost \(0.0\) must be below max_cost \(0.0\)"):
        load_config_text("policy: {actions: [{id: a}, {id: b}], exploration: {type: squarecb, elim: true, min_cost: 0}}")
    for policy in ("cb_type: 'python:mtr'", "type: sklearn"):
        with pytest.raises(ConfigError, match=r"explores in Python, which has no confidence bounds for squarecb's elim: drop "
                           r"elim, or use policy type vw"):
            load_config_text(f"policy: {{actions: [{{id: a}}, {{id: b}}], exploration: {{type: squarecb, elim: true}}, {policy}}}")


@pytest.mark.parametrize("update", list(UPDATES))
def test_every_update_starts_vw_and_learns(update: str) -> None:
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "update": update})
    arguments = vw_arguments(config)
    assert all(option in arguments for option in UPDATES[update]) and vw_starts(config, "mtr")
    assert "--normalized" not in arguments  # VW's default, never passed


def test_a_second_update_in_vw_args_is_refused_saying_what_to_set() -> None:
    with pytest.raises(ConfigError, match=r"vw_args --ftrl choose how VW updates its weights, and update: adaptive does too "
                       r"\(Vowpal Wabbit refuses both\): drop them, or set update: normalized"):
        load_config_text("policy: {actions: [{id: a}, {id: b}], update: adaptive, vw_args: [--ftrl]}")
    config = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "update": "normalized", "vw_args": ["--ftrl"]})
    assert vw_starts(config, "mtr")


def test_regcbopts_ties_are_a_distribution() -> None:
    """VW's --regcbopt scores every action tied for the optimistic best 1 (all of them before it learns): the decision's
    pmf sums to 1 and its probability is the one the action was drawn with."""
    from appliance.policy.vw import VWPolicy

    config = VWPolicyConfig.model_validate({"actions": [{"id": a} for a in "abcd"], "exploration": {"type": "regcb"}})
    policy = VWPolicy(config)
    decision = policy.decide({"s": {"x": 1.0}}, "e1", 0.0)
    assert decision.pmf == (0.25, 0.25, 0.25, 0.25) and decision.probability == 0.25
    assert policy.pmf({"s": {"x": 1.0}}) == [0.25] * 4


def test_config_default_says_what_each_exploration_is_good_at(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "default"]) == 0
    text = " ".join(line.lstrip("# ").strip() for line in capsys.readouterr().out.splitlines())
    for kind in EXPLORATIONS:
        assert f"{kind.model_fields['type'].default}: {kind.good_at}" in text


def test_a_simulation_runs_the_policy_a_user_would_run() -> None:
    """No hidden per-world settings: the drift world gets the default exploration and learning rate."""
    default = AppConfig().effective_policy()
    drift = AppConfig.model_validate({"simulation": {"world": "drift"}}).effective_policy()
    assert isinstance(drift, VWPolicyConfig) and isinstance(default, VWPolicyConfig)
    assert (drift.exploration, drift.power_t, drift.learning_rate) == (default.exploration, default.power_t, default.learning_rate)


def simulate(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> dict[str, Any]:
    log_dir = tempfile.mkdtemp(dir=tmp_path)  # one per run: simulate refuses a log dir holding an earlier run's log
    assert main(["simulate", "--events", "400", "--seed", "3", "--json", "--log-dir", log_dir, *args]) == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def test_simulate_drift_every_n_events(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    steady = simulate(capsys, tmp_path, "--world", "drift")  # the default: a change every 5,000 decisions, none in 400
    drifting = simulate(capsys, tmp_path, "--world", "drift", "--drift-every", "50")
    assert drifting["oracle_avg_reward"] == pytest.approx(steady["oracle_avg_reward"])  # the same contexts, the best rotated
    assert drifting["avg_reward"] < steady["avg_reward"] - 0.05
    assert main(["simulate", "--world", "drift", "--drift-every", "5"]) != 0
    assert "--drift-every must be between 10 and 10000000 (got 5)" in capsys.readouterr().err


@pytest.mark.parametrize("world,actions", [("digits", 10), ("wine", 3)])
def test_data_sets_scikit_learn_ships_are_worlds(world: str, actions: int, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = simulate(capsys, tmp_path, "--world", world)
    assert result["oracle_avg_reward"] == 1.0 and result["random_avg_reward"] == pytest.approx(1 / actions)
    assert result["avg_reward"] > 1.5 / actions  # it learns something in 400 decisions
