"""ccb and slates: VW learns from the text and DSJSON of one spec to byte-identical models that predict alike; the propensities are
exact and per slot; the true values beside the data are what the data says (the pseudo-inverse estimator finds the
uniform slate's value); FlatBuffers carry the same labels, verified by flatc; bad slot specs are refused at their line."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import vowpalwabbit

from appliance.datagen import generate, load_spec_text
from appliance.errors import ConfigError
from tests.datagen.test_flatbuffer import buffers, decoded

SHARED = """shared:
  - {name: user, count: 3}
  - {name: geo, type: categorical, count: {min: 1, max: 2}, vocabulary: 30, length: 5}
"""
SPECS = {
    "ccb": "actions: {pool: 8, per_example: {min: 3, max: 5}, namespaces: [{name: action, type: identity}, {name: props, count: 2}]}\n"
           "slots: {count: {min: 1, max: 3}, included: 3, namespaces: [{name: slot, type: identity}, {name: position, count: 1}]}\n"
           "logging: {policy: epsilon_greedy, epsilon: 0.3}\nrewards: {missing: 0.1, default: -0.5}",
    "slates": "actions: {pool: 9, per_example: {min: 2, max: 3}}\nslots: {count: 3}\nlogging: {policy: softmax, temperature: 0.5}",
}


def spec_of(problem: str, examples: int, extra: str = "") -> str:
    return f"examples: {examples}\nseed: 7\nproblem: {{type: {problem}}}\n{SHARED}{SPECS[problem]}\n{extra}"


@pytest.mark.parametrize("problem", sorted(SPECS))
def test_text_and_dsjson_give_identical_models(problem: str, tmp_path: Path) -> None:
    spec = load_spec_text(spec_of(problem, 600))
    models, seen = {}, {}
    for format in ("text", "dsjson"):
        truth = generate(spec, tmp_path / f"data.{format}", format)
        vw = vowpalwabbit.Workspace(f"{truth['vw_args']} -d {tmp_path / f'data.{format}'} -f {tmp_path / f'{format}.model'} --quiet")
        vw.run_parser()
        seen[format] = (vw.get_weighted_examples(), vw.get_sum_loss())
        vw.finish()
        models[format] = (tmp_path / f"{format}.model").read_bytes()
    assert truth["vw_args"].startswith("--ccb_explore_adf -q" if problem == "ccb" else "--slates -q")
    assert models["text"] == models["dsjson"] and seen["text"] == seen["dsjson"]
    assert seen["text"][0] == 600 and seen["text"][1] != 0  # every example read, with its labels
    readable = vowpalwabbit.Workspace(f"-i {tmp_path / 'text.model'} --readable_model {tmp_path / 'weights.txt'} --quiet")
    readable.finish()
    assert len([line for line in (tmp_path / "weights.txt").read_text().splitlines() if ":" in line]) > 30
    text, dsjson = (vowpalwabbit.Workspace(f"-i {tmp_path / 'text.model'} {option} --quiet") for option in ("", "--dsjson"))
    examples = [block.splitlines() for block in (tmp_path / "data.text").read_text().split("\n\n")[:40]]
    lines = (tmp_path / "data.dsjson").read_text().splitlines()[:40]
    predictions = [(text.predict(example), dsjson.predict(dsjson.parse(line))) for example, line in zip(examples, lines, strict=True)]
    assert all(a == b for a, b in predictions) and len({str(a) for a, _ in predictions}) > 5  # one pmf per slot, the same


def slot_lines(path: Path) -> list[list[str]]:
    """Each example's lines of a text file."""
    return [block.splitlines() for block in path.read_text().split("\n\n") if block]


def test_ccb_propensities_are_exact_and_conditional_on_earlier_slots(tmp_path: Path) -> None:
    spec = load_spec_text(spec_of("ccb", 400, "logging: {policy: uniform}\n").replace("logging: {policy: epsilon_greedy, epsilon: 0.3}\n", ""))
    generate(spec, tmp_path / "data.txt", "text")
    counts = set()
    for lines in slot_lines(tmp_path / "data.txt"):
        actions = [line for line in lines if line.startswith("ccb action ")]
        slots = [line.split(" ") for line in lines if line.startswith("ccb slot ")]
        taken: list[int] = []
        counts.add(len(slots))
        assert 3 <= len(actions) <= 5 and 1 <= len(slots) <= 3 and lines[0].startswith("ccb shared 'gen-")
        for words in slots:
            outcome, included = words[2].split(","), [int(a) for a in words[3].split(",")]
            chosen = int(outcome[0].split(":")[0])
            listed = [chosen] + [int(pair.split(":")[0]) for pair in outcome[1:]]
            assert len(included) == 3 and set(listed) == set(included) - set(taken) and chosen not in taken
            p = [outcome[0].split(":")[2]] + [pair.split(":")[1] for pair in outcome[1:]]
            assert sum(round(float(x) * 10**6) for x in p) == 10**6  # exactly 1 in the decimals written
            assert all(abs(float(x) - 1 / len(listed)) <= 1e-6 for x in p)  # uniform among what is left
            taken.append(chosen)
    assert counts == {1, 2, 3}


def test_slates_truth_matches_the_data_and_the_pseudo_inverse_estimate(tmp_path: Path) -> None:
    text = spec_of("slates", 6000).replace("logging: {policy: softmax, temperature: 0.5}", "logging: {policy: epsilon_greedy, epsilon: 0.6}")
    truth = generate(load_spec_text(text + "truth: {noise: 0.05}\n"), tmp_path / "data.dsjson", "dsjson")
    value = truth["value"]
    assert value["greedy"] > value["logging"] > value["uniform"] and len(value["slots"]) == 3
    assert value["logging"] == pytest.approx(sum(slot["logging"] for slot in value["slots"]))
    rewards, estimates = [], []
    for line in (tmp_path / "data.dsjson").read_text().splitlines():
        event = json.loads(line)
        reward = -event["_label_cost"]
        rewards.append(reward)
        sizes = np.bincount([action["_slot_id"] for action in event["c"]["_multi"]])
        ratios = [1 / size / outcome["_p"][0] for size, outcome in zip(sizes, event["_outcomes"])]
        estimates.append(reward * (sum(ratios) - (len(ratios) - 1)))  # the pseudo-inverse estimator of uniform slates
        assert [len(outcome["_a"]) for outcome in event["_outcomes"]] == sizes.tolist()
    spread = float(np.std(rewards)) / np.sqrt(len(rewards))
    assert np.mean(rewards) == pytest.approx(value["logging"], abs=4 * spread + 0.01)
    assert np.mean(estimates) == pytest.approx(value["uniform"], abs=4 * float(np.std(estimates)) / np.sqrt(len(estimates)) + 0.01)


def test_ccb_truth_matches_the_data(tmp_path: Path) -> None:
    truth = generate(load_spec_text(spec_of("ccb", 3000, "truth: {noise: 0.05}\n").replace("missing: 0.1", "missing: 0.0")),
                     tmp_path / "data.dsjson", "dsjson")
    value = truth["value"]
    assert value["greedy"] > value["logging"] > value["uniform"]
    assert [slot["filled"] for slot in value["slots"]][0] == 3000 > value["slots"][2]["filled"] > 0
    totals = [-sum(outcome["_label_cost"] for outcome in json.loads(line)["_outcomes"])
              for line in (tmp_path / "data.dsjson").read_text().splitlines()]
    assert np.mean(totals) == pytest.approx(value["logging"], abs=4 * float(np.std(totals)) / np.sqrt(len(totals)) + 0.01)


@pytest.mark.parametrize("problem", sorted(SPECS))
def test_flatc_reads_the_labels_the_text_file_has(problem: str, tmp_path: Path) -> None:
    spec = load_spec_text(spec_of(problem, 12))
    generate(spec, tmp_path / "data.fb", "flatbuffer")
    generate(spec, tmp_path / "data.txt", "text")
    for lines, buffer in zip(slot_lines(tmp_path / "data.txt"), buffers(tmp_path / "data.fb"), strict=True):
        root = decoded(buffer, tmp_path)
        examples = root["example_obj"]["examples"]
        assert root["example_obj_type"] == "MultiExample" and len(examples) == len(lines)
        assert examples[0]["tag"] == lines[0].split(" ")[2 if problem == "ccb" else 3][1:]
        for line, example in zip(lines, examples):
            words, label = line.split(" "), example["label"]
            assert example["label_type"] == ("CCBLabel" if problem == "ccb" else "Slates_Label")
            assert label["example_type"] == words[1] and label["weight"] == 1.0
            if words[1] == "slot":
                pairs = [pair.split(":") for pair in words[2].split(",")]
                scores = label["outcome"]["probabilities"] if problem == "ccb" else label["probabilities"]
                assert [s.get("action", 0) for s in scores] == [int(pair[0]) for pair in pairs]
                assert [s["score"] for s in scores] == pytest.approx([float(pair[-1]) for pair in pairs], abs=1e-6)
                if problem == "ccb":
                    assert label["outcome"].get("cost", 0.0) == pytest.approx(float(pairs[0][1]), abs=1e-6)
                    assert label["explicit_included_actions"] == [int(a) for a in words[3].split(",")]
            elif words[1] == "action" and problem == "slates":
                assert label.get("slot", 0) == int(words[2])
            elif words[1] == "shared" and problem == "slates":
                assert label["labeled"] and label.get("cost", 0.0) == pytest.approx(float(words[2]), abs=1e-6)
        slot_names = [ns["feature_names"] for e in examples if e["label"]["example_type"] == "slot" for ns in e["namespaces"]]
        assert slot_names[0] == ["s0"]


@pytest.mark.parametrize("format", ["text", "dsjson", "flatbuffer"])
def test_the_same_seed_gives_the_same_bytes(format: str, tmp_path: Path) -> None:
    spec = load_spec_text(spec_of("ccb", 300, "corrupt: 0.05\n").replace("missing: 0.1", "missing: 0.1, stream: true, delay: {mean_s: 3}"))
    generate(spec, tmp_path / "a", format)
    generate(spec, tmp_path / "b", format)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a.rewards.jsonl").read_bytes() == (tmp_path / "b.rewards.jsonl").read_bytes()


@pytest.mark.parametrize("text, line, words", [
    ("problem: {type: ccb}\nactions:\n  pool: 6\n  per_example: 3\nslots:\n  count: 4\n", 5,
     "4 slots per example is more than the actions an example offers (3)"),
    ("problem: {type: ccb}\nactions: {pool: 6, per_example: {min: 2, max: 4}}\nslots: {count: 3}\n", 3, "offers (2)"),
    ("problem: {type: slates}\nactions: {pool: 3}\nslots: {count: 4}\n", 3, "4 slots is more than the actions (pool 3)"),
    ("problem: {type: slates}\nactions: {pool: 6, per_example: 3}\nslots: {count: 3}\n", 3, "a slot's own actions (2 = pool 6 // 3 slots)"),
    ("problem: {type: slates}\nslots: {count: {min: 1, max: 2}}\n", 2, "slates has a fixed number of slots"),
    ("problem: {type: ccb}\nslots: {count: 3, included: 2}\n", 2, "included (2) must be between the most slots (3)"),
    ("problem: {type: cb_adf}\nslots: {count: 2}\n", 2, "cb_adf has no slots"),
    ("problem: {type: ccb}\nslots:\n  count: 0\n", 3, "at least 1 slot"),
    ("problem: {type: ccb}\nslots: {colour: red}\n", 2, "slots.colour: unknown key"),
    ("problem: {type: ccb}\nslots: {namespaces: [{name: user}]}\n", 2, "namespace names repeat"),
    ("problem: {type: ccb}\nlogging: {policy: vw, model: m.vw}\n", 2, "logs cb and cb_adf only"),
])
def test_bad_slot_specs_are_refused_at_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_spec_text(text, "spec.yaml")
    assert f"spec.yaml:{line}:" in str(err.value) and words in str(err.value)


def test_the_documented_spec_generates(tmp_path: Path) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "datagen.md").read_text()
    section = doc[doc.index("**Conditional contextual bandits and slates**"):]
    block = textwrap.dedent(section[section.index("```yaml") + 7:section.index("```", section.index("```yaml") + 7)])
    truth = generate(load_spec_text("examples: 50\n" + block, "docs/datagen.md"), tmp_path / "data.txt", "text")
    assert truth["vw_args"] == "--ccb_explore_adf -q pa -q sa -q ua"  # the slots' namespaces crossed with the actions'
    assert len(truth["value"]["slots"]) == 3
