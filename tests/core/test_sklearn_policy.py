"""The scikit-learn policy beyond the contract suite: config errors at their YAML line, any of scikit-learn's
online estimators, every exploration and cost estimator learning, SquareCB's pmf equal to VW's for the same
scores, skops models checked before they are trusted, and scikit-learn imported only when a config names it."""

from __future__ import annotations

import fractions
import inspect
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import skops.io
from sklearn.utils import all_estimators

from appliance.config import load_config_text
from appliance.errors import CheckpointError, ConfigError, UsageError
from appliance.policy import JoinedEvent
from appliance.policy.model_check import check_model_file
from appliance.policy.sklearn_model import online_estimators
from tests.core.test_policy_contract import ACTIONS, build, drive, oracle_share, restarts_from_its_checkpoint

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("policy,message", [
    ("estimator: {class: LinearRegression}", "LinearRegression is not a scikit-learn regressor or classifier with partial_fit"),
    ("estimator: {class: os.system}", "policy.estimator.class: String should match pattern"),
    ("estimator: {class: SGDRegressor, params: {alpah: 0.1}}", "SGDRegressor has no parameter 'alpah'; its parameters are: alpha,"),
    ("estimator: {class: SGDRegressor, params: {alpha: -1}}", "cannot learn the policy's hashed sparse features with these params"),
    ("estimator: {class: SGDClassifier}", "SGDClassifier with these params has no predict_proba"),
    ("estimator: {class: GaussianNB}", "GaussianNB cannot learn the policy's hashed sparse features"),
    ("estimator: {class: SGDClassifier, params: {loss: log_loss}}\n  cb_type: dr", "a classifier cannot learn; use cb_type mtr"),
    ("cb_type: magic", "no cost estimator 'magic'"),
    ("exploration: {type: bag}", "policy.exploration: Input tag 'bag' found using 'type' does not match"),
])
def test_config_errors_name_the_line_and_the_fix(policy: str, message: str) -> None:
    text = f"policy:\n  type: sklearn\n  actions: [{{id: warm}}, {{id: cool}}]\n  {policy}\n"
    with pytest.raises(ConfigError, match="my.yaml:4: ") as raised:
        load_config_text(text, "my.yaml")
    assert message in str(raised.value)


def test_every_online_regressor_and_classifier_of_scikit_learn_can_be_named() -> None:
    """All of them but the meta-estimators, which wrap an estimator a config cannot build."""
    expected = {name for name, cls in all_estimators(type_filter=["regressor", "classifier"])
                if hasattr(cls, "partial_fit") and "estimator" not in inspect.signature(cls).parameters}
    assert expected == set(online_estimators())


@pytest.mark.parametrize("options", [
    {"estimator": {"class": "SGDClassifier", "params": {"loss": "log_loss"}}, "success_reward": 0.5},
    {"estimator": {"class": "MLPRegressor", "params": {"hidden_layer_sizes": [4], "learning_rate_init": 0.01}}, "bits": 10},
    {"estimator": {"class": "BernoulliNB"}},
], ids=["SGDClassifier", "MLPRegressor", "BernoulliNB"])
def test_other_estimators_learn_and_round_trip(options: dict[str, Any], tmp_path: Path) -> None:
    trained = build("sklearn", 3, **options)
    drive(trained, 60)
    trained.save(tmp_path / "model")
    loaded = build("sklearn", 3, **options)
    loaded.load(tmp_path / "model", trained.model_version)
    probe = {"room": {"dark": 1.0, "loud": 0.4}}
    assert loaded.decide(probe, "p", 0.0).pmf == trained.decide(probe, "p", 0.0).pmf != (1 / 3,) * 3


@pytest.mark.parametrize("options", [
    {"exploration": {"type": "epsilon", "epsilon": 0.05}}, {"exploration": {"type": "softmax", "lambda": 10}},
    {"cb_type": "ips"}, {"cb_type": "dm"}, {"cb_type": "dr"},
    {"estimator": {"class": "SGDClassifier", "params": {"loss": "log_loss"}}, "success_reward": 0.0},
], ids=["epsilon", "softmax", "ips", "dm", "dr", "classifier"])
def test_every_exploration_and_cost_estimator_learns(options: dict[str, Any]) -> None:
    assert oracle_share("sklearn", 800, **options) > 0.4


def test_an_estimator_that_cannot_learn_an_event_says_which_and_what_to_choose() -> None:
    policy = build("sklearn", 0, estimator={"class": "MultinomialNB"})
    d = policy.decide({"room": {"level": -1.0}}, "e1", 0.0)
    with pytest.raises(UsageError, match="MultinomialNB cannot learn event e1 .*Negative values.*; choose an estimator"):
        policy.learn(JoinedEvent(d, 1.0, "on_time", 1, 0.0))


def test_a_model_is_a_skops_file_whose_types_are_checked_before_it_is_loaded(tmp_path: Path) -> None:
    policy = build("sklearn", 0)
    drive(policy, 10)
    policy.save(tmp_path / "model")
    assert "schema.json" in zipfile.ZipFile(tmp_path / "model").namelist()  # skops' format, not a pickle
    estimator = policy._model.estimator  # type: ignore[attr-defined]
    estimator.note = fractions.Fraction(1, 3)  # a type that is not scikit-learn's
    skops.io.dump(estimator, tmp_path / "tampered")
    with pytest.raises(CheckpointError, match="refused, it holds types outside scikit-learn's estimators: fractions.Fraction"):
        build("sklearn", 0).load(tmp_path / "tampered", 10)
    mlp = {"class": "MLPRegressor", "params": {"hidden_layer_sizes": [2]}}
    other = build("sklearn", 0, estimator=mlp)
    drive(other, 5)
    other.save(tmp_path / "mlp")
    with pytest.raises(CheckpointError, match="holds a MLPRegressor, the config names SGDRegressor; change policy.estimator.class"):
        build("sklearn", 0).load(tmp_path / "mlp", 5)
    with pytest.raises(UsageError, match="the model learned 65536 hashed features, policy.bits 12 gives 4096; set policy.bits to 16"):
        build("sklearn", 0, bits=12).load(tmp_path / "model", 10)


def test_a_model_passes_the_model_check_of_uploads_and_model_sources(tmp_path: Path) -> None:
    policy = build("sklearn", 0)
    drive(policy, 20)
    policy.save(tmp_path / "model")
    check_model_file(tmp_path / "model", {"type": "sklearn", "actions": [{"id": a} for a in ACTIONS]})
    with pytest.raises(UsageError, match="cannot use this model"):
        check_model_file(tmp_path / "model", {"type": "sklearn", "actions": [{"id": a} for a in ACTIONS], "bits": 10})


def test_scikit_learn_is_imported_only_when_a_config_names_it() -> None:
    script = """
import sys
from appliance.assemble import build_policy
from appliance.config import AppConfig, json_schema, load_config_text
import appliance.daemon, appliance.cli.run

json_schema()
build_policy(AppConfig().effective_policy())
print("sklearn" in sys.modules, end=" ")
load_config_text("policy: {type: sklearn, actions: [{id: a}, {id: b}]}")
print("sklearn" in sys.modules, end="")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False True"


def test_a_live_model_with_the_sklearn_policy_restarts_from_its_checkpoint(tmp_path: Path) -> None:
    restarts_from_its_checkpoint("sklearn", tmp_path)


@pytest.mark.parametrize("gamma_scale,gamma_exponent,learned,scores", [
    (7.5, 0.6, 25, [0.3, -0.2, 0.05, 0.6]),
    (10.0, 0.5, 9, [0.4, -0.1, -0.1, 0.0]),  # a tie for the lowest cost: the first takes the remaining mass, as in VW
    (2.0, 1.0, 40, [-0.9, 0.9, -0.85, 0.2]),
])
def test_squarecb_gives_vws_pmf_for_the_same_scores(gamma_scale: float, gamma_exponent: float, learned: int,
                                                    scores: list[float], tmp_path: Path) -> None:
    """VW's ``--cb_explore_adf --squarecb`` after ``learned`` events (its gamma's t) with its weights set so that each
    action's score is ``scores[i]``, and the sklearn policy at model version ``learned`` whose regressor predicts the
    same costs: the same pmf. (The scores stay within the costs VW learned, [-1, 1]: VW clamps a prediction to them.)"""
    from vowpalwabbit import pyvw

    from appliance.config.sklearn_policy import SklearnPolicyConfig
    from appliance.policy.sklearn import SklearnPolicy

    names = [f"a{i}" for i in range(len(scores))]
    vw = pyvw.Workspace(f"--cb_explore_adf --squarecb --gamma_scale {gamma_scale} --gamma_exponent {gamma_exponent} "
                        "--noconstant -b 12 --quiet")
    lines = [f"|A {name}" for name in names]
    for t in range(learned):
        chosen = t % len(names)
        vw.learn([f"0:{1.0 if t % 2 else -1.0}:0.25 {line}" if i == chosen else line for i, line in enumerate(lines)])
    for name, score in zip(names, scores):
        vw.set_weight(vw.hash_feature(name, vw.hash_space("A")), 0, score)
    theirs = vw.predict(lines)
    vw.finish()

    exploration = {"type": "squarecb", "gamma_scale": gamma_scale, "gamma_exponent": gamma_exponent}
    config = SklearnPolicyConfig.model_validate({"actions": [{"id": n, "features": {"A": {n: 1.0}}} for n in names],
                                                 "exploration": exploration, "seed": 1})
    policy = SklearnPolicy(config)
    d = policy.decide({}, "fit", 0.0)
    rows = d.example if d.example is not None else pytest.fail("a decision keeps its hashed rows until it is learned")
    policy.learn(JoinedEvent(d, reward=1.0, outcome="on_time", rewards_received=1, joined_at=1.0))
    path = tmp_path / "model.skops"
    policy.save(path)
    regressor = skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))
    regressor.coef_[:], regressor.intercept_[:] = 0.0, 0.0
    for i, score in enumerate(scores):  # one hashed column per action, its value +-1 (the hasher's sign)
        (column,), (value,) = rows[i].indices, rows[i].data
        regressor.coef_[column] = score / value
    skops.io.dump(regressor, path)
    policy.load(path, model_version=learned)
    ours = policy.decide({}, "probe", 0.0).pmf
    assert ours == pytest.approx(theirs, abs=1e-6)
    assert max(ours) < 0.99 and min(ours) > 0.0  # the scores' gaps matter at this gamma: not a uniform or greedy pmf
