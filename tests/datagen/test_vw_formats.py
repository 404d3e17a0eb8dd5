"""Text and DSJSON from one spec give VW byte-identical models; the DSJSON is the appliance's and replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.config import AppConfig
from appliance.datagen import generate, load_spec_text
from appliance.replay import replay
from appliance.storage import dsjson

SHARED = """shared:
  - {name: user, count: 4}
  - {name: geo, type: categorical, count: {min: 1, max: 3}, vocabulary: 30, length: 5}
  - {name: ids, type: hashed, count: 2, vocabulary: 1000, values: {distribution: uniform, loc: 1, scale: 0.5}}
"""
ACTIONS = {
    "regression": "", "binary": "",
    "multiclass": "actions: {pool: 5}", "cost_sensitive": "actions: {pool: 5}", "cb": "actions: {pool: 5}\nlogging: {policy: softmax}",
    "cb_adf": "actions: {pool: 10, per_example: {min: 2, max: 5}, namespaces: [{name: action, type: identity}, {name: props, count: 3}]}\n"
              "logging: {policy: epsilon_greedy}\nrewards: {missing: 0.1, delay: {mean_s: 5}, wait_s: 8}",
}


def learn(args: str, data: Path, model: Path) -> bytes:
    vw = vowpalwabbit.Workspace(f"{args} -d {data} -f {model} --quiet")
    vw.run_parser()
    vw.finish()
    return model.read_bytes()


@pytest.mark.parametrize("problem", sorted(ACTIONS))
def test_text_and_dsjson_give_identical_models(problem: str, tmp_path: Path) -> None:
    spec = load_spec_text(f"examples: 1500\nseed: 5\nproblem: {{type: {problem}}}\n{SHARED}{ACTIONS[problem]}\n")
    models = {}
    for format in ("text", "dsjson"):
        truth = generate(spec, tmp_path / f"data.{format}", format)
        models[format] = learn(truth["vw_args"], tmp_path / f"data.{format}", tmp_path / f"{format}.model")
    assert models["text"] == models["dsjson"]
    readable = vowpalwabbit.Workspace(f"-i {tmp_path / 'text.model'} --readable_model {tmp_path / 'weights.txt'} --quiet")
    readable.finish()
    weights = [line for line in (tmp_path / "weights.txt").read_text().splitlines()[12:] if ":" in line]
    assert len(weights) > 20  # it learned weights for the features written


def test_dsjson_is_the_appliances_and_replays(tmp_path: Path) -> None:
    spec = load_spec_text(f"examples: 400\nproblem: {{type: cb_adf}}\n{SHARED}{ACTIONS['cb_adf']}\n")
    generate(spec, tmp_path / "data.dsjson", "dsjson")
    lines = (tmp_path / "data.dsjson").read_text().splitlines()
    keys = ["_label_cost", "_label_probability", "_label_Action", "_labelIndex", "Timestamp", "Version", "EventId", "a", "c", "p"]
    assert list(json.loads(lines[0])) == keys
    event, features = dsjson.decode(lines[3])
    assert event.decision.event_id == "gen-000000003" and sum(event.decision.pmf) == pytest.approx(1.0, abs=1e-5)
    assert {"action", "props"} == set(features[0])
    summary = replay(AppConfig(), [tmp_path / "data.dsjson"], tmp_path / "replayed.model")
    assert summary["learned"] == 400 and summary["malformed"] == 0
    assert summary["namespaces"] == ["geo", "ids", "user"]
