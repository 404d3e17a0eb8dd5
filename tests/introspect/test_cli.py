"""``wabbit introspect`` on a model file plus data, on an appliance's data directory (its newest checkpoint and its
event log), ``--diff`` between two checkpoints; and the appliance's own model against VW's ``--invert_hash``."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.assemble import open_loop
from appliance.cli import main
from appliance.clock import FakeClock
from appliance.config import AppConfig, VWPolicyConfig
from appliance.introspect import open_model, read_data, varinfo
from appliance.policy.vw import vw_arguments
from appliance.simulate import simulate
from appliance.worlds import LightWorld
from tests.introspect.conftest import parse_readable, single_line_data, train_with_invert_hash


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An appliance's data directory after 300 light-world decisions, checkpointed halfway and at the end."""
    directory = tmp_path_factory.mktemp("appliance") / "data"
    clock = FakeClock(1_700_000_000.0)
    loop = open_loop(AppConfig.model_validate({"join": {"reward_wait_s": 1.0}}), clock, directory)
    world = LightWorld(3)
    for i in range(300):
        decision, ticket = loop.decide(world.context(i))
        ticket.wait()
        loop.reward(decision.event_id, float(decision.action == ("warm" if i % 3 else "blue")))[1].wait()
        clock.advance(0.2)
        loop.tick()
        if i == 149:
            loop.checkpoint()
    clock.advance(5)
    loop.close()
    return directory


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["introspect", *argv]) == 0
    return capsys.readouterr().out


def test_the_newest_checkpoint_with_its_event_log(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "--data-dir", str(data_dir), "--top", "8")
    lines = out.splitlines()
    assert lines[0].startswith("# contextual bandit: weights are shown in reward space")
    assert lines[1].split() == ["FeatureName", "HashVal", "MinVal", "MaxVal", "Weight", "RelScore", "Importance"]
    assert len(lines) == 2 + 8
    importance = [float(line.split()[-1]) for line in lines[2:]]
    assert importance == sorted(importance, reverse=True)
    rows = json.loads(_run(capsys, "--data-dir", str(data_dir), "--top", "0", "--format", "json"))["rows"]
    names = {r["name"] for r in rows}
    assert {"audio^level*colour^warm", "colour^warm", "Constant"} <= names and None not in names
    audio = list(csv.DictReader(io.StringIO(_run(capsys, "--data-dir", str(data_dir), "--namespace", "audio", "--format", "csv",
                                                   "--top", "0"))))
    assert audio and all("audio" in r["namespace"].split("*") for r in audio)


def test_a_namespace_no_term_crosses_is_refused_with_the_namespaces_there_are(data_dir: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """``--namespace a`` (VW's -q letter for audio) used to print an empty table, as if the model had no such terms."""
    assert main(["introspect", "--data-dir", str(data_dir), "--namespace", "a"]) == 2
    err = capsys.readouterr().err
    assert "--namespace a: no term crosses it" in err and "audio, colour" in err


def test_diff_between_two_checkpoints_by_feature(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    older, newer = sorted((data_dir / "checkpoints").glob("model-*.vw"))[-2:]
    out = _run(capsys, "--diff", str(older), str(newer), "--top", "5")
    header = out.splitlines()[1].split()
    assert header[4:7] == ["Before", "After", "Change"]
    rows = json.loads(_run(capsys, "--diff", str(older), str(newer), "--format", "json", "--top", "0"))["rows"]
    changes = [abs(r["weight"]) for r in rows]
    assert changes == sorted(changes, reverse=True) and changes[0] > 0
    assert all(r["after"] - r["before"] == pytest.approx(r["weight"]) for r in rows)


def _trained(path: Path, args: str, data: list[str]) -> Path:
    ws = vowpalwabbit.Workspace(f"--quiet {args}")
    for line in data:
        ws.learn(line)
    ws.save(str(path))
    ws.finish()
    return path


def test_a_diff_of_models_made_with_other_options_names_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Other options that move the weights are refused by name; others are a warning naming them; the same options
    read from two paths (VW lists each model's --initial_regressor) are no warning."""
    data = single_line_data("regression", 100)
    (tmp_path / "train.txt").write_text("\n".join(data) + "\n")
    half = data[:50]
    base = _trained(tmp_path / "base.vw", "-q ab", data)
    for args, named in (("-q ab -b 16", "--bit_precision: 18 vs 16"), ("-q ac", "--quadratic: ab vs ac")):
        other = _trained(tmp_path / "other.vw", args, data)
        assert main(["introspect", "--diff", str(base), str(other), "--data", str(tmp_path / "train.txt")]) == 2
        err = capsys.readouterr().err
        assert "the two models place their weights differently" in err and named in err, err
    slower = _trained(tmp_path / "slower.vw", "-q ab -l 0.1", data)
    assert main(["introspect", "--diff", str(base), str(slower), "--data", str(tmp_path / "train.txt"), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert "warning: the two models were made with different VW options (--learning_rate: not set vs 0.1" in err, err
    assert json.loads(out)["warning"].startswith("the two models were made with different VW options") and json.loads(out)["rows"]
    for copy in (tmp_path / "a", tmp_path / "b"):
        copy.mkdir()
    earlier, later = _trained(tmp_path / "a" / "m.vw", "-q ab", half), _trained(tmp_path / "b" / "m.vw", "-q ab", data)
    assert main(["introspect", "--diff", str(earlier), str(later), "--data", str(tmp_path / "train.txt"), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "warning" not in json.loads(out) and json.loads(out)["rows"][0]["weight"] != 0


def test_a_model_file_plus_text_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = single_line_data("oaa", 200)
    model, _ = train_with_invert_hash("--oaa 3 -q ab", data, tmp_path)
    (tmp_path / "train.txt").write_text("\n".join(data) + "\n")
    rows = json.loads(_run(capsys, str(model), "--data", str(tmp_path / "train.txt"), "--search", "x1", "--format", "json"))["rows"]
    assert rows and all("x1" in r["name"] for r in rows)
    assert {r["model"] for r in rows} == {"class 1", "class 2", "class 3"}
    assert main(["introspect", str(tmp_path / "train.txt")]) == 2  # not a model
    assert "is not a Vowpal Wabbit model" in capsys.readouterr().err


def test_the_appliance_model_equals_vw_learning_its_event_log_with_invert_hash(tmp_path: Path) -> None:
    config = AppConfig.model_validate({"simulation": {"world": "light", "seed": 4}})
    log = Path(simulate(config, 300, tmp_path)["log"])
    pconfig = config.effective_policy()
    assert isinstance(pconfig, VWPolicyConfig)
    readable = tmp_path / "readable.txt"
    native = vowpalwabbit.Workspace(arg_list=[*vw_arguments(pconfig), "--dsjson", "--invert_hash", str(readable), "--hexfloat_weights"])
    for line in log.read_text().splitlines():
        examples = native.parse(line)
        native.learn(examples)
        native.finish_example(examples)
    native.save(str(tmp_path / "model.vw"))
    native.finish()
    reference = parse_readable(readable)
    ws = open_model(tmp_path / "model.vw")
    info = varinfo(ws, read_data(ws, [log]))
    ws.finish()
    ours = {int(info.index[r]): (info.name(r), -float(info.weight[r])) for r in range(len(info.term))}
    assert info.unnamed == 0 and len(reference) > 20
    for index, (name, weight) in reference.items():
        assert ours[index][1] == pytest.approx(weight, abs=1e-6)
        assert ours[index][0] == name


def test_weights_of_terms_not_in_the_data_read_are_listed_as_unknown_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Trained on two files, read with one: the other file's three features have weights, and no name can be given."""
    seen, unseen = tmp_path / "seen.txt", tmp_path / "unseen.txt"
    seen.write_text("".join(f"{i % 3} |alpha x{i % 5}:0.5 | d{i % 2}\n" for i in range(40)))
    unseen.write_text("".join(f"{i % 2 + 1} |zeta z1 z2:0.5 z3\n" for i in range(20)))
    ws = vowpalwabbit.Workspace("--quiet")
    for line in seen.read_text().splitlines() + unseen.read_text().splitlines():
        ws.learn(line)
    model = tmp_path / "model.vw"
    ws.save(str(model))
    ws.finish()
    text = _run(capsys, str(model), "--data", str(seen), "--top", "0", "--sort", "name")
    unknown = [line for line in text.splitlines() if line.startswith("(unknown: not in the data)")]
    # no value range either (MinVal, MaxVal and so Importance are "?"): the data that made them was not read
    assert len(unknown) == 3 and all(line.split()[6:8] == ["?", "?"] and line.split()[-1] == "?" for line in unknown)
    assert text.splitlines()[-1] == "# 3 non-zero weight(s) belong to terms not in the data read: their names cannot be known"
    assert not any("zeta" in line for line in text.splitlines())  # no name is guessed
    body = json.loads(_run(capsys, str(model), "--data", str(seen), "--top", "0", "--format", "json"))
    nameless = [r for r in body["rows"] if r["name"] is None]
    assert body["unnamed"] == len(nameless) == 3
    assert all(r["min"] is None and r["max"] is None and r["count"] == 0 and r["weight"] != 0 for r in nameless)
    both = json.loads(_run(capsys, str(model), "--data", str(seen), str(unseen), "--top", "0", "--format", "json"))
    assert both["unnamed"] == 0 and {"zeta^z1", "zeta^z2", "zeta^z3"} <= {r["name"] for r in both["rows"]}


def test_checkpoints_of_another_policy_kind_are_refused_naming_it(data_dir: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    switched = tmp_path / "data"
    shutil.copytree(data_dir, switched)
    clock = FakeClock(1_700_001_000.0)
    loop = open_loop(AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "policy": {"type": "linucb"}}), clock, switched)
    loop.recover()
    loop.close()  # its checkpoint is now the newest
    assert main(["introspect", "--data-dir", str(switched)]) == 2
    err = capsys.readouterr().err
    assert "saved by the linucb policy" in err and "pass an older VW checkpoint" in err, err
    newest = max((switched / "checkpoints").glob("model-*.json"), key=lambda p: json.loads(p.read_text())["created"])
    assert main(["introspect", str(newest.with_suffix(".vw"))]) == 2
    assert "is a checkpoint of the linucb policy" in capsys.readouterr().err


def test_a_checkpoint_whose_sidecar_names_no_kind_is_read_as_the_store_reads_it(data_dir: Path, tmp_path: Path,
                                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A sidecar without a ``policy`` field (an older version's, or a model host's that records none) is of unknown
    kind, as the checkpoint store reads it: VW's introspects; another kind's is named as such, not as a bad VW file."""
    switched = tmp_path / "data"
    shutil.copytree(data_dir, switched)
    loop = open_loop(AppConfig.model_validate({"join": {"reward_wait_s": 1.0}, "policy": {"type": "linucb"}}),
                     FakeClock(1_700_001_000.0), switched)
    loop.recover()
    loop.close()
    for sidecar in (switched / "checkpoints").glob("model-*.json"):
        sidecar.write_text(json.dumps({k: v for k, v in json.loads(sidecar.read_text()).items() if k != "policy"}))
    assert main(["introspect", "--data-dir", str(switched)]) == 2
    err = capsys.readouterr().err
    assert "does not name the policy kind that saved it" in err and "not a Vowpal Wabbit model" in err, err
    assert "pass a checkpoint taken while policy.type was vw" in err, err
    older = [p for p in (switched / "checkpoints").glob("model-*.vw") if p.read_bytes()[4:5].isdigit()]
    assert older and main(["introspect", str(older[0]), "--top", "1"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("api", ["localhost", "127.0.0.1:8080", "ftp://127.0.0.1:8080"])
def test_an_api_url_without_http_says_how_to_write_it(api: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--api localhost` used to end in a ValueError traceback, `--api 127.0.0.1:8080` in asking whether the daemon runs."""
    assert main(["introspect", "--api", api, "--token", "t"]) == 2
    assert capsys.readouterr().err == (f"wabbit introspect: --api {api}: give the daemon's URL with http:// or https://, "
                                       "e.g. http://127.0.0.1:8080\n")
