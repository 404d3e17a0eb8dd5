"""The truths and the logging policy beyond the linear default: the small random network is a nonlinear function
that the seed reproduces and a linear fit cannot; a gradual drift turns the best action step by step between its
points; a given VW model logs exactly the pmf it predicts."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import vowpalwabbit

from appliance.datagen import Draw, generate, load_spec_text
from appliance.errors import UsageError

REGRESSION = "examples: 3000\nseed: 3\nproblem: {type: regression}\nshared: [{name: x, count: 4}]\ntruth: {model: MODEL, noise: 0.0}\n"


def regression_rows(path: Path) -> tuple[np.ndarray, list[dict[str, float]]]:
    """The labels and each example's features of a regression text file (``label 'tag |x f0:v ...``)."""
    labels, features = [], []
    for line in path.read_text().splitlines():
        label, _tag, namespace = line.split(" ", 2)
        assert namespace.startswith("|x ")
        labels.append(float(label))
        features.append({name: float(value or 1) for name, _, value in (f.partition(":") for f in namespace.split()[1:])})
    return np.array(labels), features


def linear_fit_residual(labels: np.ndarray, features: list[dict[str, float]]) -> float:
    """The root mean square residual of the best linear function (with an intercept) of the features."""
    names = sorted(features[0])
    design = np.array([[row[name] for name in names] + [1.0] for row in features])
    coefficients, *_ = np.linalg.lstsq(design, labels, rcond=None)
    return float(np.sqrt(np.mean((design @ coefficients - labels) ** 2)))


def test_the_network_truth_is_nonlinear_and_the_seed_reproduces_it(tmp_path: Path) -> None:
    network = load_spec_text(REGRESSION.replace("MODEL", "network"))
    generate(network, tmp_path / "net.txt", "text")
    labels, features = regression_rows(tmp_path / "net.txt")
    # The seed alone gives back the network: a fresh draw of the spec scores the written features to the written labels.
    draw = Draw(network)
    latent = np.array([draw.drawers[0].latent_of(row) for row in features])
    n = len(labels)
    score = draw.truth.score({"x": latent}, draw.pool.latents(), np.zeros((n, 1), np.int64), np.arange(n))[:, 0]
    assert np.abs(score - labels).max() < 1e-4  # the labels' four decimals
    network.seed = 4
    generate(network, tmp_path / "other.txt", "text")
    assert np.abs(regression_rows(tmp_path / "other.txt")[0] - labels).mean() > 0.1 * labels.std()  # another seed, another network
    # No linear function of the features comes close; the linear truth, drawn the same way, is fitted to its decimals.
    linear = load_spec_text(REGRESSION.replace("MODEL", "linear"))
    generate(linear, tmp_path / "lin.txt", "text")
    assert linear_fit_residual(*regression_rows(tmp_path / "lin.txt")) < 1e-3 * labels.std()
    assert linear_fit_residual(labels, features) > 0.1 * labels.std()


def test_the_network_truth_ranks_oracle_above_logging_above_uniform(tmp_path: Path) -> None:
    spec = load_spec_text("examples: 3000\nseed: 1\nproblem: {type: cb_adf}\nactions: {pool: 6, per_example: 4}\n"
                          "truth: {model: network}\nlogging: {policy: softmax, temperature: 0.2}\n")
    value = generate(spec, tmp_path / "data.dsjson", "dsjson")["value"]
    assert value["oracle"] > value["logging"] > value["uniform"]


def drift_scores(mode: str, steps: list[int]) -> list[np.ndarray]:
    """The truth's scores of 2,000 random contexts for 4 actions at each step, under a drift of 90 degrees per 100 events."""
    spec = load_spec_text(f"problem: {{type: cb}}\nactions: {{pool: 4}}\ntruth: {{drift: {{every: 100, mode: {mode}, angle_deg: 90}}}}\n")
    draw = Draw(spec)
    shared = {"user": np.random.default_rng(7).normal(size=(2000, 8))}
    offered = np.tile(np.arange(4), (2000, 1))
    return [draw.truth.score(shared, draw.pool.latents(), offered, np.full(2000, step)) for step in steps]


def test_gradual_drift_turns_the_best_action_step_by_step() -> None:
    steps = list(range(101))
    gradual = drift_scores("gradual", steps)
    start, before, after = drift_scores("abrupt", [0, 99, 100])
    # The same two truths: abrupt holds the first until step 100 and jumps; gradual leaves it at 0 and arrives at 100.
    assert gradual[0] == pytest.approx(start) and before == pytest.approx(start) and gradual[100] == pytest.approx(after)
    half = math.sqrt(0.5)
    assert gradual[50] == pytest.approx(half * gradual[0] + half * gradual[100])  # halfway, an even blend
    best = [score.argmax(axis=1) for score in gradual]
    changed = [float(np.mean(b != best[0])) for b in best]
    quarters = changed[25], changed[50], changed[75], changed[100]
    assert 0.0 < quarters[0] < quarters[1] < quarters[2] < quarters[3]  # the best action changes for ever more contexts
    assert float(np.mean(before.argmax(axis=1) != start.argmax(axis=1))) == 0.0  # abrupt: none before the point
    jump = np.abs(after - before).max()
    assert max(np.abs(b - a).max() for a, b in zip(gradual, gradual[1:])) < 0.05 * jump  # no step is a jump


CB_ADF = "problem: {type: cb_adf}\nactions: {pool: 5, per_example: {min: 2, max: 5}}\ntruth: {noise: 0.0}\n"
LABELLED = re.compile(r"^\d+:[^ ]+:[^ ]+ ")


def learn_logging_model(tmp_path: Path, args: str) -> Path:
    """A small model trained on generated softmax-logged data, saved to a file."""
    spec = load_spec_text(CB_ADF + "examples: 2000\nseed: 1\nlogging: {policy: softmax, temperature: 0.3}\n")
    truth = generate(spec, tmp_path / "train.txt", "text")
    model = tmp_path / "logging.model"
    vw = vowpalwabbit.Workspace(f"{truth['vw_args']} {args} -d {tmp_path / 'train.txt'} -f {model} --quiet")
    vw.run_parser()
    vw.finish()
    return model


def test_a_vw_model_logs_exactly_the_pmf_it_predicts(tmp_path: Path) -> None:
    model = learn_logging_model(tmp_path, "--softmax --lambda 4")
    spec = load_spec_text(CB_ADF + f"examples: 300\nseed: 2\nlogging: {{policy: vw, model: {json.dumps(str(model))}}}\n")
    generate(spec, tmp_path / "data.txt", "text")
    generate(spec, tmp_path / "data.dsjson", "dsjson")
    events = [json.loads(line) for line in (tmp_path / "data.dsjson").read_text().splitlines()]
    texts = (tmp_path / "data.txt").read_text().split("\n\n")[:-1]
    assert len(texts) == len(events) == 300
    vw = vowpalwabbit.Workspace(f"-i {model} -t --quiet")
    highest = []
    for event, text in zip(events, texts):
        lines = [LABELLED.sub("", line) for line in text.splitlines()]  # the example as the model saw it: unlabelled
        predicted = vw.predict(lines)
        logged = [0.0] * len(event["p"])
        for action, p in zip(event["a"], event["p"]):
            logged[action - 1] = p
        assert logged == pytest.approx(predicted, abs=1.5e-6)  # six decimals, summing to exactly 1
        highest.append(max(predicted))
    vw.finish()
    assert np.std(highest) > 0.05 and np.mean(highest) > 0.5  # the model's own preferences, not a uniform pmf


def test_a_logging_model_in_a_folder_with_a_space_or_not_a_model_is_read_or_refused(tmp_path: Path) -> None:
    model = learn_logging_model(tmp_path, "--epsilon 0.1")
    spaced = tmp_path / "my models" / "logging.model"
    spaced.parent.mkdir()
    spaced.write_bytes(model.read_bytes())
    spec = load_spec_text(CB_ADF + f"examples: 20\nlogging: {{policy: vw, model: {json.dumps(str(spaced))}}}\n")
    assert generate(spec, tmp_path / "data.txt", "text")["examples"] == 20
    junk = tmp_path / "junk.model"
    junk.write_text("not a model\n")
    spec = load_spec_text(CB_ADF + f"examples: 20\nlogging: {{policy: vw, model: {json.dumps(str(junk))}}}\n")
    with pytest.raises(UsageError, match=r"junk.model is not a Vowpal Wabbit model"):
        generate(spec, tmp_path / "junk.txt", "text")
    assert not (tmp_path / "junk.txt").exists()


def test_a_cb_explore_model_logs_the_chosen_actions_probability(tmp_path: Path) -> None:
    train = load_spec_text("problem: {type: cb}\nactions: {pool: 4}\nexamples: 1500\nlogging: {policy: softmax}\n")
    truth = generate(train, tmp_path / "train.txt", "text")
    model = tmp_path / "cb.model"
    trainer = vowpalwabbit.Workspace(f"{truth['vw_args']} --epsilon 0.2 -d {tmp_path / 'train.txt'} -f {model} --quiet")
    trainer.run_parser()
    trainer.finish()
    spec = load_spec_text(f"problem: {{type: cb}}\nactions: {{pool: 4}}\nexamples: 200\nseed: 3\n"
                          f"logging: {{policy: vw, model: {json.dumps(str(model))}}}\n")
    generate(spec, tmp_path / "data.txt", "text")
    vw = vowpalwabbit.Workspace(f"-i {model} -t --quiet")
    chosen = []
    for line in (tmp_path / "data.txt").read_text().splitlines():
        label, unlabelled = line.split(" ", 1)
        action, _cost, probability = label.split(":")
        pmf = vw.predict(unlabelled)
        assert float(probability) == pytest.approx(pmf[int(action) - 1], abs=1e-6)
        chosen.append(pmf[int(action) - 1])
    vw.finish()
    assert set(np.round(chosen, 2)) == {0.05, 0.85}  # epsilon 0.2 over 4 actions: the greedy one or another
    generate(load_spec_text(CB_ADF + "examples: 5\n"), tmp_path / "adf.txt", "text")  # an earlier file, and its truth
    adf = load_spec_text(CB_ADF + f"examples: 5\nlogging: {{policy: vw, model: {json.dumps(str(model))}}}\n")
    with pytest.raises(UsageError, match=r"cb.model cannot predict these examples .* a --cb_explore_adf one for cb_adf"):
        generate(adf, tmp_path / "adf.txt", "text")
    assert not list(tmp_path.glob("adf.txt*"))  # no half-written file, nor the earlier truth beside it


def test_an_estimate_from_a_log_with_lost_rewards_tends_to_the_truth_the_doc_says(tmp_path: Path) -> None:
    """docs/datagen.md's rule: with a share q of the rewards lost or late, a log's estimate of a policy tends to
    (1 - q) x its true value + q x default. Checked for uniform choices with IPS, within 3 standard errors."""
    doc = " ".join((Path(__file__).parents[2] / "docs" / "datagen.md").read_text().split())
    assert "an estimator's value of any policy from it, tends to `(1 - q) × value + q × default`" in doc
    from appliance.estimators import IPS
    from appliance.storage import dsjson

    spec = ("examples: 6000\nseed: 5\nproblem: {type: cb_adf}\nshared: [{name: u, count: 3}]\nactions: {pool: 3, per_example: 3}\n"
            "truth: {link: logistic, outcome: bernoulli}\nrewards: {missing: 0.3, default: -1.0}\n")
    truth = generate(load_spec_text(spec), tmp_path / "log.dsjson", "dsjson")
    ips, values = IPS(), []
    for line in (tmp_path / "log.dsjson").read_text().splitlines():
        event = dsjson.parse(line).event
        value = event.reward / event.decision.probability / 3
        ips.add_example(event.decision.probability, event.reward, 1 / 3)
        values.append(value)
    q = (truth["trouble"]["missing"] + truth["trouble"]["late"]) / truth["examples"]
    expected = (1 - q) * truth["value"]["uniform"] + q * -1.0
    assert abs(ips.get() - expected) < 3 * float(np.std(values)) / math.sqrt(len(values))
    assert abs(ips.get() - truth["value"]["uniform"]) > 0.2  # the losses move it far from the truth
