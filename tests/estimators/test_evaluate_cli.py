"""``wabbit evaluate``: the table, JSON, plot and verdicts; malformed lines by number; arguments a user can fix."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import main


def test_json_plot_and_verdicts(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "values.png"
    assert main(["evaluate", str(log), "--policy", "vw: --cb_explore_adf --epsilon 0.1 -q :c", "--json", "--plot", str(png),
                 "--intervals", "cressie_read,cs,gaussian"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["events"], report["skipped_learn"], report["malformed"]) == (1499, 1, 1)
    assert f"{log}:11: not a DSJSON event" in err
    candidates = report["candidates"]
    assert list(candidates)[:2] == ["online", "random"] and "always warm" in candidates
    assert candidates["online"]["verdict"] == "the current policy"
    assert candidates["random"]["verdict"] in ("worse with 95% confidence", "not distinguishable at 95%")
    assert candidates["online"]["estimates"]["dr"] > candidates["random"]["estimates"]["dr"]  # the learning policy beats random
    for value in candidates.values():
        lower, upper = value["intervals"]["cressie_read"]
        assert lower <= value["estimates"]["snips"] <= upper
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_table(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(log), "--no-baselines", "--estimators", "ips,mle", "--intervals", "clopper_pearson",
                 "--reward-range", "0", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["candidate", "events", "ips", "mle", "clopper_pearson", "95%", "verdict"]
    assert lines[1].startswith("online") and lines[2].startswith("1499 events")


@pytest.mark.parametrize("args,message", [
    (["--policy", "river: x"], 'write a candidate as "vw: OPTIONS"'),
    (["--policy", "vw: --cb_explore_adf --nonsense"], "Vowpal Wabbit refused"),
    (["--policy", "vw: --cb_explore_adf -d other.txt"], "touch files"),
    (["--estimators", "ipss"], "unknown estimator type 'ipss'; built in: ips, snips, clipped_ips, dm, dr, switch_dr, mle, "
                               "cressie_read; installed plug-ins: none"),
    (["--intervals", "bootstrap"], "unknown interval type 'bootstrap'; built in: gaussian, clopper_pearson, cressie_read, cs"),
    (["--intervals", ""], "each need at least one name"),
])
def test_arguments_a_user_can_fix(log: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["evaluate", str(log), *args]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("plot", ["values", "values.txt", "."])
def test_a_plot_path_it_would_not_write_as_named_is_refused_before_evaluating(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, plot: str) -> None:
    """It used to write values.png while saying "plot written to values", or evaluate the whole log into a traceback."""
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", str(log), "--plot", plot]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and f"--plot {plot}: " in captured.err and ".png" in captured.err, captured.err
    assert list(tmp_path.iterdir()) == []


def test_a_missing_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(tmp_path / "none.dsjson")]) == 2
    assert "no such log file" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate", "replay"])
def test_a_log_folder_is_named_as_a_folder_with_the_files_to_give(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   command: str) -> None:
    """It used to say "no such log file" of a folder that is there (the appliance's events/)."""
    assert main([command, str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"wabbit {command}: {tmp_path}: is a directory; give its log files, "
                                       f"e.g. {tmp_path}/*.dsjson\n")


HALF_IPS = '''
from typing import Literal
from pydantic import Field
from appliance.config.estimators import EstimatorConfigBase
from appliance.estimators.ips import IPS


class HalfIPSConfig(EstimatorConfigBase):
    type: Literal["half_ips"] = Field("half_ips", description="Half of IPS.")


class HalfIPS(IPS):
    Config = HalfIPSConfig

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        return w * r / 2
'''


def test_an_installed_estimator_plug_in_is_a_kind_of_its_role(log: Path, tmp_path: Path) -> None:
    (tmp_path / "wabbit_half.py").write_text(HALF_IPS)
    info = tmp_path / "wabbit_half-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wabbit-half\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[wabbit.estimators]\nhalf_ips = wabbit_half:HalfIPS\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(__file__).parents[2])])}
    command = [sys.executable, "-m", "appliance", "evaluate", str(log), "--no-baselines", "--intervals", "gaussian", "--json"]
    done = subprocess.run([*command, "--estimators", "ips,half_ips"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    estimates = json.loads(done.stdout)["candidates"]["online"]["estimates"]
    assert estimates["half_ips"] == pytest.approx(estimates["ips"] / 2)
    done = subprocess.run([*command, "--estimators", "half"], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "installed plug-ins: half_ips (plug-in wabbit-half 0.1)" in done.stderr


def test_a_reward_model_that_overshoots_is_held_within_the_rewards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """VW's default normalized update, first fed a feature at 0.0001 (the light world's night), predicts millions when it
    then sees 0.9: DM and DR use the prediction held within the rewards' range, not a value of 7e6 for rewards in [0, 1]."""
    def line(brightness: float, cost: float, action: int) -> str:
        return json.dumps({"_label_cost": cost, "_label_probability": 0.5, "_label_Action": action, "_labelIndex": action - 1,
                           "a": [action, 3 - action], "p": [0.5, 0.5],
                           "c": {"video": {"brightness": brightness}, "_multi": [{"_id": "warm", "colour": {"warm": 1.0}},
                                                                                 {"_id": "cool", "colour": {"cool": 1.0}}]}})
    log = tmp_path / "night.dsjson"
    log.write_text("\n".join([line(0.0001, -1.0, 1), line(0.0001, 0.0, 2), line(0.9, -1.0, 1), line(0.5, 0.0, 2)]) + "\n")
    assert main(["evaluate", str(log), "--estimators", "dm,dr", "--json"]) == 0
    for name, value in json.loads(capsys.readouterr().out)["candidates"].items():
        assert 0 <= value["estimates"]["dm"] <= 1, (name, value["estimates"])
        assert -2 <= value["estimates"]["dr"] <= 3, (name, value["estimates"])  # v_hat + (r - r_hat) * w, w <= 2 here


def test_a_line_missing_a_key_names_the_key_and_what_a_line_needs(log: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    line = json.loads(log.read_text().splitlines()[0])
    del line["p"]
    other = tmp_path / "other.dsjson"
    other.write_text(log.read_text().splitlines()[0] + "\n" + json.dumps(line) + "\n")
    assert main(["evaluate", str(other), "--no-baselines"]) == 0
    assert (f"{other}:2: not a DSJSON event: it has no 'p' key (a line needs _label_cost, _label_probability, _labelIndex or "
            "_label_Action, a, p, and c with its _multi actions); line skipped") in capsys.readouterr().err


def test_a_candidate_whose_interval_equals_the_online_one_is_not_called_the_current_policy(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """On a short log every confidence sequence is the whole reward range: each candidate used to be "the current policy"."""
    short = tmp_path / "short.dsjson"
    short.write_text("".join(log.read_text().splitlines(keepends=True)[:5]))
    assert main(["evaluate", str(short), "--intervals", "cs", "--reward-range", "0", "1", "--json"]) == 0
    candidates = json.loads(capsys.readouterr().out)["candidates"]
    assert candidates["random"]["intervals"]["cs"] == candidates["online"]["intervals"]["cs"]  # the case: equal intervals
    assert candidates["online"]["verdict"] == "the current policy"
    assert {v["verdict"] for name, v in candidates.items() if name != "online"} == {"not distinguishable at 95%"}


@pytest.mark.parametrize("bounds,message", [
    (["0.2", "0.5"], "is outside --reward-range 0.2 0.5: widen it to hold every reward of the log, or leave it out"),
    (["1", "0"], "--reward-range 1.0 0.0: LOW must be below HIGH"),
    (["0", "0"], "--reward-range 0.0 0.0: LOW must be below HIGH"),
])
def test_a_reward_range_that_does_not_fit_names_the_flag(log: Path, capsys: pytest.CaptureFixture[str], bounds: list[str],
                                                        message: str) -> None:
    """It used to say "give the rewards' range, or empirical_r_bounds=True" (a Python argument) or "rmin ... rmax"."""
    assert main(["evaluate", str(log), "--no-baselines", "--reward-range", *bounds]) == 2
    err = capsys.readouterr().err
    assert message in err and "empirical_r_bounds" not in err and "rmin" not in err


@pytest.mark.parametrize("probability", [0.0, 1.5, -0.2])
def test_a_line_whose_logged_probability_is_outside_0_1_is_skipped_by_number(
        log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], probability: float) -> None:
    """It used to stop the whole evaluation with "p_log 0.0 must be in (0, 1]", naming no line of the log."""
    lines = log.read_text().splitlines(keepends=True)[:40]
    bad = json.loads(lines[2])
    bad["_label_probability"] = probability
    lines[2] = json.dumps(bad) + "\n"
    edited = tmp_path / "edited.dsjson"
    edited.write_text("".join(lines))
    assert main(["evaluate", str(edited), "--no-baselines", "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"{edited}:3: not a DSJSON event: _label_probability {probability} must be in (0, 1]" in err
    assert json.loads(out)["malformed"] == 2  # this one and the fixture's line 11, which is not JSON
