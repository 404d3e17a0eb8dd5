"""Explanations add up to VW's own predictions; bad models and mismatched data are refused with a clear error."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.errors import UsageError
from appliance.introspect import Observations, open_model, read_data, varinfo
from appliance.introspect.explain import Explainer
from tests.introspect.conftest import multi_line_data, single_line_data


def test_a_decision_explained_adds_up_to_the_scores_vw_predicts() -> None:
    ws = vowpalwabbit.Workspace("--quiet --cb_adf -q rc --interactions :c --cubic rrc")
    for example in multi_line_data(200):
        ws.learn(example)
    context = {"room": {"dark": 0.4, "loud": -0.5}, "rest": {"r2": 1.0}, "time": {"h3": 1.0}}
    actions = {f"a{a}": {"colour": {f"c{a}": 1.0, "tone": 0.2 * a + 0.1}, "count": {f"n{a % 2}": 1.0}} for a in range(4)}
    why = Explainer(ws).decision(context, actions, top=100)
    lines = ["shared |room dark:0.4 loud:-0.5 |rest r2 |time h3"] + [f"|colour c{a} tone:{0.2 * a + 0.1:.1f} |count n{a % 2}" for a in range(4)]
    costs = ws.predict(lines)
    assert [a.score for a in why.actions] == pytest.approx([-c for c in costs], abs=1e-5)
    assert all(abs(sum(c.contribution for c in a.top) - a.score) < 1e-9 for a in why.actions)
    assert any("*" in c.feature for c in why.actions[0].top)  # interaction terms are explained too
    assert why.note is not None and "reward space" in why.note
    ws.finish()


@pytest.mark.parametrize("options", ["--keep rc", "--keep r --keep c", "--ignore t"])
def test_namespaces_the_model_does_not_keep_are_neither_named_nor_scored(options: str, tmp_path: Path) -> None:
    """``--keep`` used to be read as nothing: the time namespace it drops was listed (its slots' weights shown) and scored
    in explanations, off VW's own scores where a slot it does not use collides with one it does (``-b 6``)."""
    ws = vowpalwabbit.Workspace(f"--quiet --cb_adf -q rc -b 6 {options}")
    data = multi_line_data(200)
    for example in data:
        ws.learn(example)
    context = {"room": {"dark": 0.4, "loud": -0.5}, "rest": {"r2": 1.0}, "time": {f"h{h}": 1.0 for h in range(24)}}
    actions = {f"a{a}": {"colour": {f"c{a}": 1.0, "tone": 0.2 * a + 0.1}, "count": {f"n{a % 2}": 1.0}} for a in range(4)}
    why = Explainer(ws).decision(context, actions, top=1000)
    hours = " ".join(f"h{h}" for h in range(24))
    lines = [f"shared |room dark:0.4 loud:-0.5 |rest r2 |time {hours}"] + [f"|colour c{a} tone:{0.2 * a + 0.1:.1f} |count n{a % 2}"
                                                                        for a in range(4)]
    assert [a.score for a in why.actions] == pytest.approx([-c for c in ws.predict(lines)], abs=1e-5)
    assert not [c.feature for a in why.actions for c in a.top if "time^" in c.feature]
    path = tmp_path / "data.txt"
    path.write_text("".join("\n".join(e) + "\n\n" for e in data))
    info = varinfo(ws, read_data(ws, [path]))
    assert not [name for r in info.order if "time^" in (name := info.name(r) or "")]
    ws.finish()


def test_a_regression_prediction_explained_equals_predict() -> None:
    ws = vowpalwabbit.Workspace("--quiet -q ab --cubic abc")
    for line in single_line_data("regression", 300):
        ws.learn(line)
    line = "|alpha x1:0.5 x2:-1 |beta b3:0.3 |charlie c1 | d2"
    ours = Explainer(ws).example([("alpha", [("x1", 0.5), ("x2", -1.0)]), ("beta", [("b3", 0.3)]), ("charlie", [("c1", 1.0)]),
                                  (" ", [("d2", 1.0)])])
    assert ours.actions[0].score == pytest.approx(ws.predict(line), abs=1e-5)
    ws.finish()


@pytest.fixture
def model(tmp_path: Path) -> Path:
    ws = vowpalwabbit.Workspace("--quiet --oaa 3")
    ws.learn("1 |a x")
    path = tmp_path / "model.vw"
    ws.save(str(path))
    ws.finish()
    return path


def test_files_that_are_not_vw_models_or_are_cut_short_or_too_old_are_refused(model: Path, tmp_path: Path) -> None:
    data = model.read_bytes()
    junk, cut, old = tmp_path / "junk.vw", tmp_path / "cut.vw", tmp_path / "old.vw"
    junk.write_bytes(b"PK\x03\x04 a zip file, not a model" * 4)
    cut.write_bytes(data[: len(data) // 2])
    old.write_bytes(struct.pack("<I", 7) + b"8.11.0\0" + data[11:])
    with pytest.raises(UsageError, match="is not a Vowpal Wabbit model"):
        open_model(junk)
    with pytest.raises(UsageError, match="truncated or corrupt"):
        open_model(cut)
    with pytest.raises(UsageError, match=r"saved by Vowpal Wabbit 8\.11\.0, which this VW \(9\.\d+\.\d+\) cannot read"):
        open_model(old)
    with pytest.raises(UsageError, match="cannot read the model"):
        open_model(tmp_path / "missing.vw")


def test_a_model_under_a_path_with_quotes_and_spaces_opens(model: Path, tmp_path: Path) -> None:
    odd = tmp_path / "bob's models" / 'a "b".vw'
    odd.parent.mkdir()
    odd.write_bytes(model.read_bytes())
    workspace = open_model(odd)
    assert workspace.num_weights() > 0
    workspace.finish()


@pytest.mark.parametrize(("text", "suffix", "message"), [
    ("1 |a x\n2 |a y\n9 |a z\n", ".txt", r"data.txt:3: label '9' does not fit this model \(multiclass\): a class from 1 to 3"),
    ("1 |a x\nshared |a y\n", ".txt", r"data.txt:2: a 'shared' line belongs to multi-line data"),
    ("1 |a x:high\n", ".txt", r"data.txt:1: could not convert string to float: 'high' in namespace 'a'"),
    ('{"c": {"a": {"x": 1}, "_multi": [{}]}}\n', ".dsjson", r"data.dsjson:1: DSJSON holds contextual-bandit decisions"),
])
def test_data_that_does_not_match_the_model_is_reported_with_its_line(model: Path, tmp_path: Path, text: str, suffix: str,
                                                                     message: str) -> None:
    path = tmp_path / f"data{suffix}"
    path.write_text(text)
    ws = open_model(model)
    with pytest.raises(UsageError, match=message):
        read_data(ws, [path])
    ws.finish()


def test_a_malformed_dsjson_line_is_reported_with_its_line(tmp_path: Path) -> None:
    ws = vowpalwabbit.Workspace("--quiet --cb_explore_adf")
    path = tmp_path / "log.dsjson"
    path.write_text('{"c": {"a": {"x": 1}, "_multi": [{"b": {"y": 1}}]}}\n\n{"c": {"a": [1, 2], "_multi": []}}\n')
    with pytest.raises(UsageError, match=r"log.dsjson:3: not a DSJSON decision \(TypeError: feature 'a' is a list"):
        read_data(ws, [path])
    ws.finish()


def test_data_read_for_a_model_with_other_options_is_refused(model: Path) -> None:
    other = vowpalwabbit.Workspace("--quiet -q ab")
    seen = Observations.of(other)
    seen.add_example([("a", [("x", 1.0)])])
    ws = open_model(model)
    with pytest.raises(UsageError, match="the data was read for a model with other options"):
        varinfo(ws, seen)
    for workspace in (ws, other):
        workspace.finish()
