"""The spec refuses bad input at its line; the same seed gives the same bytes; memory stays flat; the truth beside
the data is what the data says; time and trouble are counted; the command line works."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from appliance.datagen import generate, load_spec, load_spec_text
from appliance.errors import ConfigError, UsageError

CB = "problem: {type: cb_adf}\nactions: {pool: 6, per_example: 3}\n"


@pytest.mark.parametrize("text, line, words", [
    ("examples: 5\nshared:\n  - {name: user, colour: red}\n", 3, "shared.0.colour: unknown key"),
    ("problem: {type: cb_adf}\nactions:\n  pool: 3\n  per_example: 4\n", 4, "is more than the pool (3)"),
    ("shared:\n  - name: user\n    count: -2\n", 3, "at least 1 feature"),
    ("actions: {pool: 4, per_example: -1}\n", 1, "a negative count of actions"),
    ("truth: {interactions: [[user, nope]]}\n", 1, "'nope', which is not a namespace"),
    ("problem: {type: regression}\nrewards: {missing: 0.5}\n", 2, "has labels, not delayed rewards"),
    ("problem: {type: regression}\ntruth: {drift: {every: 5, mode: rotate}}\n", 2, "regression has no such pool"),
    ("truth: {main_effects: false, interactions: []}\n", 1, "the score would be 0"),
    ("shared:\n  - {name: t, type: sparse, names: [a, b]}\n", 2, "names are given for dense and categorical"),
    ("shared:\n  - {name: x, count: 2, names: [a]}\n", 2, "1 names for 2 features"),
    ("shared:\n  - {name: x, values: {loc_by: {namespace: t, table: {a: 1}}}}\n", 1, "which is not an earlier shared namespace"),
    ("problem: {type: cb_adf}\nactions:\n  pool: 2\n  ids: [a, a]\n", 4, "action ids repeat"),
    ("problem: {type: cb_adf}\nactions: {pool: 3, ids: [a, b]}\n", 2, "2 ids for a pool of 3 actions"),
    ("problem: {type: cb_adf}\nactions: {namespaces: [{name: l, values: {loc_by: {namespace: user, table: {f0: 1}}}}]}\n", 2,
     "drawn apart from the context"),
    # a check across sections (the truth against the namespaces and the pool) names the section's line
    ("examples: 3\ntruth:\n  model: given\n  weights: {user: {f9: [1, 2, 3, 4]}}\n", 2, "which it never draws (it draws f0 to f3)"),
    ("examples: 3\ntruth:\n  model: given\n  weights: {user: {f0: [1, 2]}}\n", 2, "give 2 numbers for a pool of 4 actions"),
    ("truth: {weights: {user: {f0: [1, 2, 3, 4]}}}\n", 1, "weights are for model: given"),
    ("truth: {model: given, weights: {user: {f0: [1, 2, 3, 4]}}, drift: {every: 5}}\n", 1, "use drift mode: rotate"),
    ("problem: {type: regression}\ntruth: {model: given, weights: {user: {f0: [1]}}}\n", 2, "regression has none to weigh"),
    ("truth: {outcome: bernoulli, clip: [-1, 2]}\n", 1, "a bernoulli outcome needs a probability"),
])
def test_bad_specs_are_refused_at_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_spec_text(text, "spec.yaml")
    assert f"spec.yaml:{line}:" in str(err.value) and words in str(err.value)


def test_json_specs_and_unknown_keys_name_the_schema_command(tmp_path: Path) -> None:
    (tmp_path / "s.json").write_text('{\n  "examples": 3,\n  "seeds": 1\n}\n')
    with pytest.raises(ConfigError, match=r"s.json:3: seeds: unknown key.*`wabbit gen schema`"):
        load_spec(tmp_path / "s.json")


@pytest.mark.parametrize("format", ["text", "dsjson", "flatbuffer"])
def test_the_same_seed_gives_the_same_bytes(format: str, tmp_path: Path) -> None:
    spec = load_spec_text(CB + "examples: 600\ncorrupt: 0.05\nrewards: {stream: true, duplicate: 0.1, delay: {mean_s: 3}}")
    generate(spec, tmp_path / "a", format)
    generate(spec, tmp_path / "b", format)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    assert (tmp_path / "a.rewards.jsonl").read_bytes() == (tmp_path / "b.rewards.jsonl").read_bytes()
    spec.seed = 1
    generate(spec, tmp_path / "c", format)
    assert (tmp_path / "a").read_bytes() != (tmp_path / "c").read_bytes()


def test_a_mapping_is_a_spec_and_its_mistakes_are_named_as_a_files_are(tmp_path: Path) -> None:
    """A researcher's dict gives the bytes its YAML text gives; a bad key or value is a ConfigError naming it, anything
    else a UsageError saying what to pass (not an AttributeError from inside the generator)."""
    text = CB + "examples: 50\nseed: 3\n"
    mapping = {"problem": {"type": "cb_adf"}, "actions": {"pool": 6, "per_example": 3}, "examples": 50, "seed": 3}
    assert generate(mapping, tmp_path / "a", "text")["examples"] == 50
    generate(load_spec_text(text), tmp_path / "b", "text")
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
    with pytest.raises(ConfigError, match=r"<spec mapping>: actions.per_example: .*is more than the pool \(6\)"):
        generate({**mapping, "actions": {"pool": 6, "per_example": 7}}, tmp_path / "c", "text")
    with pytest.raises(ConfigError, match="<spec mapping>: seeed: unknown key; did you mean `seed`?"):
        generate({**mapping, "seeed": 4}, tmp_path / "c", "text")
    with pytest.raises(UsageError, match=r"the spec is a str: pass a GenSpec \(load_spec\(path\) reads a file"):
        generate("spec.yaml", tmp_path / "c", "text")  # type: ignore[arg-type]


def test_memory_stays_flat_however_many_examples(tmp_path: Path) -> None:
    peaks = []
    for examples in (2_000, 20_000):
        spec = load_spec_text(CB + f"examples: {examples}")
        tracemalloc.start()
        generate(spec, tmp_path / "data.dsjson", "dsjson")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.3


def test_the_truth_is_what_the_data_says(tmp_path: Path) -> None:
    spec = load_spec_text(CB + "examples: 20000\nseed: 2\ntruth: {noise: 0.0}\nlogging: {policy: softmax, temperature: 1.0}")
    truth = generate(spec, tmp_path / "data.dsjson", "dsjson")
    events = [json.loads(line) for line in (tmp_path / "data.dsjson").read_text().splitlines()]
    rewards = np.array([-e["_label_cost"] for e in events])
    assert rewards.mean() == pytest.approx(truth["value"]["logging"], abs=0.02)  # no noise: only the sampling of actions
    ips = {a: 0.0 for a in truth["value"]["actions"]}  # each constant action's value, estimated by IPS
    for event, reward in zip(events, rewards):
        chosen = event["c"]["_multi"][event["_labelIndex"]]["_id"]
        ips[chosen] += reward / event["_label_probability"]
    for action, value in truth["value"]["actions"].items():
        assert ips[action] / value["offered"] == pytest.approx(value["value"], abs=0.05)
    assert truth["value"]["oracle"] > truth["value"]["logging"] > truth["value"]["uniform"]


def test_lost_late_duplicated_and_corrupt_are_counted(tmp_path: Path) -> None:
    spec = load_spec_text(CB + "examples: 4000\ncorrupt: 0.02\ntime: {arrivals: poisson}\n"
                          "rewards: {missing: 0.1, duplicate: 0.05, wait_s: 6, default: 0, stream: true, delay: {mean_s: 3}}")
    truth = generate(spec, tmp_path / "data.dsjson", "dsjson")
    trouble = truth["trouble"]
    assert 300 < trouble["missing"] < 500 and 150 < trouble["duplicated"] < 260 and 40 < trouble["corrupt"] < 130
    assert 0.05 * 3600 < trouble["late"] < 0.25 * 3600  # exponential(3 s) beyond 6 s: about 13%
    broken = 0
    for line in (tmp_path / "data.dsjson").read_text().splitlines():
        try:
            json.loads(line)
        except ValueError:
            broken += 1
    assert broken == trouble["corrupt"]
    deliveries = [json.loads(line) for line in (tmp_path / "data.dsjson.rewards.jsonl").read_text().splitlines()]
    assert len(deliveries) == 4000 - trouble["missing"] + trouble["duplicated"]
    times = [d["time"] for d in deliveries]
    assert times == sorted(times)


def test_drift_turns_the_best_action(tmp_path: Path) -> None:
    spec = load_spec_text("problem: {type: cb}\nactions: {pool: 4}\nexamples: 2\ntruth: {drift: {every: 1, angle_deg: 180}}")
    from appliance.datagen import Draw

    draw = Draw(spec)
    shared = {"user": np.ones((2, 8))}
    offered = np.tile(np.arange(4), (2, 1))
    score = draw.truth.score(shared, draw.pool.latents(), offered, np.array([0, 1]))
    assert score[1] == pytest.approx(-score[0])


def test_rotating_drift_passes_each_action_the_next_ones_truth() -> None:
    spec = load_spec_text(CB + "truth: {main_effects: false, drift: {every: 10, mode: rotate}}")
    from appliance.datagen import Draw

    draw = Draw(spec)
    shared = {"user": np.random.default_rng(1).normal(size=(3, 8))}
    offered = np.tile(np.arange(6), (3, 1))
    first, second, back = (draw.truth.score(shared, draw.pool.latents(), offered, np.full(3, step)) for step in (9, 10, 60))
    assert second == pytest.approx(np.roll(first, -1, axis=1)) and back == pytest.approx(first)


def test_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(CB + "examples: 50\n")
    wabbit = [sys.executable, "-m", "appliance"]
    made = subprocess.run([*wabbit, "gen", "data", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out.txt"), "-f", "text", "-n", "7"],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert "wrote 7 examples" in made.stdout and "vw --cb_explore_adf -q ua" in made.stdout
    assert (tmp_path / "out.txt").read_text().count("shared ") == 7 and (tmp_path / "out.txt.truth.json").exists()
    schema = json.loads(subprocess.run([*wabbit, "gen", "schema"], capture_output=True, text=True, check=True).stdout)
    assert "problem" in schema["properties"]
    (tmp_path / "bad.yaml").write_text("examples: 5\nactions: {pool: 2, per_example: 3}\n")
    bad = subprocess.run([*wabbit, "gen", "check", str(tmp_path / "bad.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "bad.yaml:2:" in bad.stderr
