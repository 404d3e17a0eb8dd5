"""A ``cb_type: python:NAME`` policy runs VW's cost-sensitive learner (``--csoaa_ldf m --csoaa_rank``), which VW's
options alone would show as costs: it is explained, and its features listed, as the bandit it is, exactly as the
VW cb_type that learns the same model on the same stream."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.cli import main
from appliance.config import VWPolicyConfig
from appliance.introspect.explain import Explainer
from appliance.introspect.live import ModelFeatures
from appliance.policy.base import Decision
from tests.estimators.test_cost_estimators import ACTIONS, policy, replay


def test_python_ips_is_explained_as_ips_on_the_same_stream() -> None:
    vw, python = policy("ips"), policy("python:ips")
    replay([vw, python], 200)
    context = {"room": {"level": 0.9, "h1": 1.0}}
    made = vw.decide(context, "x", 0.0)
    for chosen, action in enumerate(made.actions):  # each action in turn as the pick
        decision = Decision("x", action, chosen, made.pmf[chosen], made.pmf, made.actions, context, 0, 0.0)
        ours, theirs = python.explain(decision, top=100), vw.explain(decision, top=100)
        scores = [a.score for a in ours.actions]
        assert scores == pytest.approx([a.score for a in theirs.actions], rel=1e-5, abs=1e-6)
        assert ours.exploratory == theirs.exploratory == (scores[chosen] < max(scores))
        assert ours.note == theirs.note and ours.note is not None and "reward space" in ours.note
        for a, b in zip(ours.actions, theirs.actions):
            assert [c.feature for c in a.top] == [c.feature for c in b.top]
            assert [c.weight for c in a.top] == pytest.approx([c.weight for c in b.top], rel=1e-5, abs=1e-6)
    assert len({round(a.score, 3) for a in theirs.actions}) == 3  # it learned: the check above tells actions apart
    greedy = max(range(3), key=lambda i: theirs.actions[i].score)
    pick = Decision("x", made.actions[greedy], greedy, made.pmf[greedy], made.pmf, made.actions, context, 0, 0.0)
    assert python.explain(pick).exploratory is False and python.explain(pick).actions[greedy].chosen


def _event_log(directory: Path, decisions: int) -> Path:
    """A DSJSON event log of ``decisions`` decisions over the declared actions, as the appliance writes it."""
    rng = random.Random(1)
    features = [a.vw_features() for a in VWPolicyConfig.model_validate({"actions": ACTIONS}).actions]
    lines = []
    for _ in range(decisions):
        context = {"room": {"level": rng.random(), f"h{rng.randrange(4)}": 1.0}}
        multi = [{"_id": a["id"], **f} for a, f in zip(ACTIONS, features)]
        lines.append(json.dumps({"c": {**context, "_multi": multi}, "a": [1]}))
    directory.mkdir()
    (directory / "events-000001.dsjson").write_text("\n".join(lines) + "\n")
    return directory


def test_python_ips_features_are_shown_as_ips_in_reward_space(tmp_path: Path) -> None:
    vw, python = policy("ips"), policy("python:ips")
    replay([vw, python], 200)
    events = _event_log(tmp_path / "events", 40)
    views = [ModelFeatures(events, p.arguments) for p in (vw, python)]
    try:
        theirs, ours = (view.table(p) for view, p in zip(views, (vw, python)))
    finally:
        for view in views:
            view.close()
    assert ours.note == theirs.note and ours.note is not None and "reward space" in ours.note
    weights = [{r["name"]: r["weight"] for r in table.records() if r["name"] is not None} for table in (ours, theirs)]
    assert weights[0].keys() == weights[1].keys() and "colour^warm" in weights[0] and "room^level*colour^warm" in weights[0]
    assert [weights[0][n] for n in sorted(weights[1])] == pytest.approx([weights[1][n] for n in sorted(weights[1])], rel=1e-5, abs=1e-6)
    assert sum(1 for w in weights[1].values() if abs(w) > 1e-3) > 10


def test_a_cost_sensitive_model_file_is_explained_in_costs_the_lowest_best() -> None:
    """Outside the appliance a ``--csoaa_ldf`` model is what its options say: costs, as VW predicts them."""
    ws = vowpalwabbit.Workspace("--quiet --csoaa_ldf m --csoaa_rank")
    for _ in range(50):
        ws.learn(["shared |room dark", "0:1 |colour warm", "1:0 |colour cool"])
    why = Explainer(ws).decision({"room": {"dark": 1.0}}, {"warm": {"colour": {"warm": 1.0}}, "cool": {"colour": {"cool": 1.0}}},
                                 chosen=1)
    costs = ws.predict(["shared |room dark", "0:0 |colour warm", "1:0 |colour cool"])  # pylibvw crashes on unlabelled ones
    assert [a.score for a in why.actions] == pytest.approx(costs, abs=1e-5)
    assert why.note is None and why.actions[1].score < why.actions[0].score and why.exploratory is False
    assert Explainer(ws).decision({"room": {"dark": 1.0}}, {"warm": {"colour": {"warm": 1.0}}}, chosen=0).exploratory is False
    ws.finish()


def test_wabbit_introspect_shows_a_python_ips_checkpoint_in_reward_space(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    python = policy("python:ips")
    replay([python], 200)
    _event_log(tmp_path / "events", 40)
    (tmp_path / "checkpoints").mkdir()
    model = tmp_path / "checkpoints" / "model-000200.vw"
    python.save(model)
    sidecar = {"model_version": 200, "log_segment": 1, "log_offset": 0, "created": 1.0, "sha256": hashlib.sha256(model.read_bytes()).hexdigest()}
    model.with_suffix(".json").write_text(json.dumps(sidecar))
    assert main(["introspect", "--data-dir", str(tmp_path), "--format", "json", "--top", "0"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["kind"] == "contextual bandit" and "reward space" in body["note"]
    features = ModelFeatures(tmp_path / "events", python.arguments)
    try:
        served = {r["name"]: r["weight"] for r in features.table(python).records()}
    finally:
        features.close()
    assert {r["name"]: r["weight"] for r in body["rows"]} == pytest.approx(served, abs=1e-6)  # the daemon's view, signs included
