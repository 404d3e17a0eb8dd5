"""What the files and the command hold beyond the formats' equality: sparse namespaces have their stated number of
features out of their stated space, VW learns the cost-sensitive LDF text, the progress bar shows on a terminal
only, and the published schema file is the one the command prints."""

from __future__ import annotations

import os
import re
import select
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import vowpalwabbit

from appliance.datagen import generate, load_spec_text
from appliance.errors import UsageError

ROOT = Path(__file__).parents[2]
WABBIT = [sys.executable, "-m", "appliance"]
SPARSE = """examples: 2000
problem: {type: regression}
shared:
  - {name: s, type: sparse, count: 5, vocabulary: 40}
  - {name: t, type: sparse, count: {min: 2, max: 6}, vocabulary: 20, values: {distribution: exponential, scale: 2}}
"""


def namespace_features(line: str) -> dict[str, dict[str, float]]:
    """``{namespace: {feature: value}}`` of one text example (a value of 1 is written bare)."""
    out = {}
    for part in line.split("|")[1:]:
        name, *features = part.split()
        out[name] = {f.partition(":")[0]: float(f.partition(":")[2] or 1) for f in features}
    return out


def test_sparse_namespaces_hold_their_count_out_of_their_vocabulary(tmp_path: Path) -> None:
    generate(load_spec_text(SPARSE), tmp_path / "data.txt", "text")
    lines = (tmp_path / "data.txt").read_text().splitlines()
    examples = [namespace_features(line) for line in lines]
    vw = vowpalwabbit.Workspace("--quiet")
    for line, example in zip(lines[:200], examples):
        parsed = vw.parse(line)
        assert (parsed.num_features_in("s"), parsed.num_features_in("t")) == (len(example["s"]), len(example["t"]))  # all distinct
        vw.finish_example(parsed)
    vw.finish()
    assert {len(example["s"]) for example in examples} == {5}
    assert set(Counter(len(example["t"]) for example in examples)) == {2, 3, 4, 5, 6}
    used = Counter(name for example in examples for name in example["s"])
    assert set(used) == {f"f{k}" for k in range(40)}  # the whole space, and nothing outside it
    assert min(used.values()) > 0.6 * 2000 * 5 / 40 and max(used.values()) < 1.4 * 2000 * 5 / 40  # drawn evenly
    assert set(name for example in examples for name in example["t"]) == {f"f{k}" for k in range(20)}
    values = np.array([v for example in examples for v in example["t"].values()])
    assert values.min() > 0 and values.mean() == pytest.approx(2.0, rel=0.05)  # exponential with mean 2


def multi_examples(path: Path) -> list[list[str]]:
    return [block.splitlines() for block in path.read_text().split("\n\n") if block]


def test_vw_learns_the_cost_sensitive_ldf_text_better_than_any_constant(tmp_path: Path) -> None:
    spec = load_spec_text("examples: 4000\nseed: 4\nproblem: {type: cost_sensitive_ldf}\nactions: {pool: 6, per_example: {min: 2, max: 6}, "
                          "namespaces: [{name: action, type: identity}, {name: props, count: 3}]}\n")
    truth = generate(spec, tmp_path / "data.txt", "text")
    assert truth["vw_args"] == "--csoaa_ldf multiline -q ua -q up"
    examples = multi_examples(tmp_path / "data.txt")
    train, test = examples[:3000], examples[3000:]
    vw = vowpalwabbit.Workspace(f"{truth['vw_args']} --quiet")
    for _ in range(2):
        for example in train:
            vw.learn(example)

    def cost(line: str) -> float:
        return float(line.split(" ", 1)[0].split(":")[1])

    def action(line: str) -> str:
        return line.split("|action ")[1].split()[0]

    learned = []
    for example in test:
        chosen = vw.predict(example)  # the label (the number before the cost) of the chosen action's line
        learned.append(next(cost(line) for line in example[1:] if line.startswith(f"{chosen}:")))
    vw.finish()
    # The best constant: the actions ranked by their mean cost on the training examples, the best one offered taken.
    costs: dict[str, list[float]] = {}
    for example in train:
        for line in example[1:]:
            costs.setdefault(action(line), []).append(cost(line))
    ranking = sorted(costs, key=lambda a: float(np.mean(costs[a])))
    constant = []
    for example in test:
        offered = {action(line): cost(line) for line in example[1:]}
        constant.append(offered[next(a for a in ranking if a in offered)])
    oracle = [min(cost(line) for line in example[1:]) for example in test]
    assert np.mean(learned) < np.mean(constant) - 0.1
    assert np.mean(learned) - np.mean(oracle) < 0.25 * (np.mean(constant) - np.mean(oracle))  # most of the way to the oracle


def test_the_progress_bar_shows_on_a_terminal_and_not_on_a_pipe(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text("examples: 3000\nproblem: {type: cb_adf}\n")
    command = [*WABBIT, "gen", "data", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "data.dsjson")]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and "wrote 3000 examples" in piped.stdout
    assert "examples," not in piped.stderr and "[" not in piped.stderr
    controller, terminal = os.openpty()
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 120)
        assert ready, "the command wrote nothing to its terminal for 120 s"
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert run.wait(timeout=60) == 0 and run.stdout is not None and b"wrote 3000 examples" in run.stdout.read()
    run.stdout.close()
    assert re.search(rb"\r\[#{30}\] 3000/3000 examples, [\d,]+/s", shown), shown


def test_the_published_schema_file_is_what_the_command_prints() -> None:
    printed = subprocess.run([*WABBIT, "gen", "schema"], capture_output=True, text=True, check=True).stdout
    published = ROOT / "docs" / "gen-spec.schema.json"
    assert published.read_text() == printed, "docs/gen-spec.schema.json is stale: run `wabbit gen schema > docs/gen-spec.schema.json`"


def test_an_unknown_format_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^unknown format 'dsjon'; one of text, dsjson, flatbuffer$"):
        generate(load_spec_text(SPARSE), tmp_path / "out.dsjson", "dsjon")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("flag", "value", "why"), [("--examples", "0", "greater than or equal to 1"),
                                                    ("--seed", "-1", "greater than or equal to 0")])
def test_an_out_of_range_override_is_an_error_naming_the_flag(tmp_path: Path, flag: str, value: str, why: str) -> None:
    (tmp_path / "spec.yaml").write_text(SPARSE)
    done = subprocess.run([*WABBIT, "gen", "data", str(tmp_path / "spec.yaml"), "-o", str(tmp_path / "out.txt"), flag, value],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr == f"wabbit gen: {flag} {value}: Input should be {why}\n", done.stderr
    assert not (tmp_path / "out.txt").exists()


def test_the_printed_vw_command_runs_as_written_for_a_path_with_spaces(tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(SPARSE)
    out = tmp_path / "my data" / "sparse.txt"
    (tmp_path / "my data").mkdir()
    done = subprocess.run([*WABBIT, "gen", "data", str(tmp_path / "spec.yaml"), "-o", str(out), "-f", "text", "-n", "10"],
                          capture_output=True, text=True, check=True)
    command = done.stdout.rstrip("\n").partition("learn with: ")[2]
    assert shlex.split(command)[-2:] == ["-d", str(out)], command
