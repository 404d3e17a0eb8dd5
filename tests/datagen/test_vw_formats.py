"""Text and DSJSON from one spec give VW byte-identical models and identical predictions; the DSJSON is the
appliance's, replays, and ``wabbit evaluate`` reads it to the values its truth.json holds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.config import AppConfig
from appliance.datagen import generate, load_spec_text
from appliance.datagen.spec import GenSpec
from appliance.replay import replay
from appliance.storage import dsjson

WABBIT = [sys.executable, "-m", "appliance"]

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


def spec_of(problem: str) -> GenSpec:
    """1500 examples of the problem, the same for each format."""
    return load_spec_text(f"examples: 1500\nseed: 5\nproblem: {{type: {problem}}}\n{SHARED}{ACTIONS[problem]}\n")


def learn(args: str, data: Path, model: Path) -> bytes:
    vw = vowpalwabbit.Workspace(f"{args} -d {data} -f {model} --quiet")
    vw.run_parser()
    vw.finish()
    return model.read_bytes()


@pytest.mark.parametrize("problem", sorted(ACTIONS))
def test_text_and_dsjson_give_identical_models(problem: str, tmp_path: Path) -> None:
    spec = spec_of(problem)
    models = {}
    for format in ("text", "dsjson"):
        truth = generate(spec, tmp_path / f"data.{format}", format)
        models[format] = learn(truth["vw_args"], tmp_path / f"data.{format}", tmp_path / f"{format}.model")
    assert models["text"] == models["dsjson"]
    readable = vowpalwabbit.Workspace(f"-i {tmp_path / 'text.model'} --readable_model {tmp_path / 'weights.txt'} --quiet")
    readable.finish()
    weights = [line for line in (tmp_path / "weights.txt").read_text().splitlines()[12:] if ":" in line]
    assert len(weights) > 20  # it learned weights for the features written


def examples(data: Path, format: str, problem: str) -> list[str] | list[list[str]]:
    """The file's examples as pyvw takes them: a line each, or for ADF text the lines of each blank-line-separated example."""
    text = data.read_text()
    if format == "text" and problem == "cb_adf":
        return [example.splitlines() for example in text.split("\n\n") if example.strip()]
    return text.splitlines()


@pytest.mark.parametrize("problem", sorted(ACTIONS))
def test_text_and_dsjson_give_identical_predictions(problem: str, tmp_path: Path) -> None:
    """Each format learned in pyvw an example at a time, predicting every example before learning it: the two
    workspaces predict the same (a label, a score, or the pmf over an example's actions) on every example."""
    spec = spec_of(problem)
    predictions = {}
    for format in ("text", "dsjson"):
        truth = generate(spec, tmp_path / f"data.{format}", format)
        vw = vowpalwabbit.Workspace(f"{truth['vw_args']} --quiet")
        predictions[format] = []
        for example in examples(tmp_path / f"data.{format}", format, problem):
            predictions[format].append(vw.predict(example))
            vw.learn(example)
        vw.finish()
    assert len(predictions["text"]) == 1500
    assert predictions["text"] == predictions["dsjson"]
    assert len({repr(prediction) for prediction in predictions["text"]}) > 1  # it predicted more than one thing


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


@pytest.mark.parametrize("policy", ["uniform", "epsilon_greedy"])
def test_wabbit_evaluate_reads_generated_dsjson_to_its_truth(policy: str, tmp_path: Path) -> None:
    """``wabbit gen`` a cb_adf log, ``wabbit evaluate`` it: the logging policy's and uniform random's 95% intervals hold
    the true values truth.json gives, and every estimate is within the interval's width of them (a reward read with
    the wrong sign, or a wrong propensity, would move a value by more than that)."""
    (tmp_path / "spec.yaml").write_text(f"examples: 3000\nseed: 7\nproblem: {{type: cb_adf}}\nactions: {{pool: 5, per_example: 3}}\n"
                                        f"logging: {{policy: {policy}}}\n")
    data = tmp_path / "data.dsjson"
    subprocess.run([*WABBIT, "gen", "data", str(tmp_path / "spec.yaml"), "-o", str(data)], check=True, capture_output=True, timeout=120)
    truth = json.loads((tmp_path / "data.dsjson.truth.json").read_text())["value"]
    evaluated = subprocess.run([*WABBIT, "evaluate", str(data), "--json"], capture_output=True, text=True, timeout=120)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert (report["events"], report["malformed"]) == (3000, 0)
    gap = truth["oracle"] - truth["uniform"]  # 0.33: what telling the best action from a random one is worth
    for candidate, true in (("online", truth["logging"]), ("random", truth["uniform"])):
        value = report["candidates"][candidate]
        for interval in ("cressie_read", "cs"):
            lower, upper = value["intervals"][interval]
            assert lower <= true <= upper, f"{candidate}: {interval} [{lower:.4f}, {upper:.4f}] misses the true {true:.4f}"
        lower, upper = value["intervals"]["cressie_read"]
        if candidate == "online" or policy == "uniform":  # importance weights of 1: a tight interval
            assert upper - lower < gap / 5
        for estimator, estimate in value["estimates"].items():
            assert abs(estimate - true) < upper - lower, f"{candidate}: {estimator} {estimate:.4f}, true {true:.4f}"
