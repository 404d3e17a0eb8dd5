"""``--tensorboard DIR`` on ``wabbit simulate``, ``replay`` and ``evaluate``, and ``simulate --sweep``: the runs read back
with TensorBoard's own reader hold the scalars, the weights' histograms and the hyperparameters, with sensible values."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from appliance.cli import main
from appliance.config import VWPolicyConfig
from tests.tensorboard.conftest import hparams, last, read_run, scalars

EVENTS = 4000


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One watched simulation of the light world (its result, read back by the tests)."""
    tmp = tmp_path_factory.mktemp("simulated")
    assert main(["simulate", "--events", str(EVENTS), "--seed", "2", "--json", "--log-dir", str(tmp / "log"),
                 "--tensorboard", str(tmp / "tb")]) == 0
    return {"tmp": tmp}


def test_a_watched_simulation_logs_contextual_bandit_signals(simulated: dict[str, Any]) -> None:
    run_dir = simulated["tmp"] / "tb" / "simulate-light-seed2"
    points = scalars(read_run(run_dir))
    steps = [step for step, _ in points["reward/progressive"]]
    assert steps == sorted(steps) and steps[-1] == EVENTS and len(steps) >= 20  # about a hundred points a run
    for step, value in points["value/online"]:
        lower = dict(points["value/online_lower"])[step]
        upper = dict(points["value/online_upper"])[step]
        assert 0.0 <= lower <= value <= upper <= 1.0
    assert dict(points["value/online"]) == pytest.approx(dict(points["reward/progressive"]))  # on-policy: its own average
    assert last(points, "vw/average_loss") == pytest.approx(-last(points, "reward/progressive"))
    # the policy learns: better than random, its recent reward above its early one, near the oracle's expected reward
    assert last(points, "reward/progressive") > last(points, "baseline/random") + 0.05
    assert last(points, "reward/recent") > points["reward/progressive"][0][1]
    assert 0.7 < last(points, "simulate/share_of_oracle") <= 1.0
    assert last(points, "baseline/best_constant") == max(last(points, f"baseline/always_{a}") for a in ("warm", "cool", "red", "blue"))
    # exploration: SquareCB's gamma grows; the pmf concentrates
    gammas = [v for _, v in points["explore/gamma"]]
    assert gammas == sorted(gammas) and gammas[-1] == pytest.approx(10 * EVENTS**0.5, rel=0.01)
    assert 0.25 < points["explore/max_probability"][0][1] < last(points, "explore/max_probability") <= 1.0
    assert 0.0 <= last(points, "explore/entropy") < math.log(4)
    assert 0.0 <= last(points, "explore/exploratory_share") < 0.5
    shares = [last(points, f"actions/{a}") for a in ("warm", "cool", "red", "blue") if f"actions/{a}" in points]
    assert sum(shares) == pytest.approx(1.0)
    assert last(points, "features/per_event") == 3.0  # the light world's audio, video and time features
    assert 0.0 < last(points, "latency/decide_ms") < 50.0
    assert 0.0 <= last(points, "join/default_share") <= 1.0


def test_the_weights_histogram_and_the_hyperparameters(simulated: dict[str, Any]) -> None:
    run_dir = simulated["tmp"] / "tb" / "simulate-light-seed2"
    run = read_run(run_dir)
    histograms = run.Histograms("model/weights")
    assert len(histograms) >= 3
    latest = histograms[-1].histogram_value
    assert latest.num == last(scalars(run), "model/nonzero_weights") > 10 and latest.min < 0 < latest.max
    found, metrics = hparams(run_dir)
    assert found["exploration"] == "squarecb" and found["world"] == "light"
    assert found["learning_rate"] == VWPolicyConfig.model_fields["learning_rate"].default
    assert found["seed"] == 2 and found["events"] == EVENTS and found["policy"] == "vw"
    assert metrics["final/events"] == EVENTS
    assert metrics["final/value_lower"] <= metrics["final/reward"] <= metrics["final/value_upper"]
    assert metrics["final/lift_over_random"] == pytest.approx(metrics["final/reward"] - metrics["final/random"], abs=1e-6)
    assert not set(metrics) & set(run.Tags()["scalars"])  # the metrics' names differ from the scalars' tags


def test_replay_and_evaluate_write_runs_of_the_log(simulated: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    log = next((simulated["tmp"] / "log" / "events").glob("events-*.dsjson"))
    tb = simulated["tmp"] / "tb"
    replayed = run_json(capsys, "replay", str(log), "--json", "--tensorboard", str(tb))
    assert Path(replayed["tensorboard"]) == tb / f"replay-{log.stem}"
    points = scalars(read_run(tb / f"replay-{log.stem}"))
    assert points["events/joined"][-1] == (EVENTS, EVENTS)
    simulated_points = scalars(read_run(tb / "simulate-light-seed2"))
    assert last(points, "reward/progressive") == pytest.approx(last(simulated_points, "reward/progressive"))  # the same events
    assert read_run(tb / f"replay-{log.stem}").Histograms("model/weights")
    assert hparams(tb / f"replay-{log.stem}")[0]["command"] == "replay"

    evaluated = run_json(capsys, "evaluate", str(log), "--json", "--estimators", "ips", "--intervals", "cs",
                         "--policy", "vw: --cb_explore_adf --epsilon 0.1 --interactions :c", "--tensorboard", str(tb))
    run_dir = Path(evaluated["tensorboard"])
    points = scalars(read_run(run_dir))
    online = evaluated["candidates"]["online"]
    assert last(points, "candidates/online") == pytest.approx(online["estimates"]["ips"], rel=1e-6)
    assert [last(points, "candidates/online_lower"), last(points, "candidates/online_upper")] == pytest.approx(online["intervals"]["cs"])
    assert "candidates/vw_--cb_explore_adf_--epsilon_0.1_--interactions_c" in points
    assert last(points, "candidates/random") == pytest.approx(evaluated["candidates"]["random"]["estimates"]["ips"], rel=1e-6)
    found, metrics = hparams(run_dir)
    assert found["command"] == "evaluate" and found["interval"] == "cs"
    assert metrics["final/candidates_online"] == pytest.approx(online["estimates"]["ips"], rel=1e-6)


@pytest.mark.parametrize("command", ["replay", "evaluate"])
def test_a_log_named_with_spaces_gets_a_run_named_without(simulated: dict[str, Any], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str], command: str) -> None:
    """Its run name, taken from the log's, used to fail the run's config check with a pydantic traceback."""
    log = tmp_path / "kitchen log (monday).dsjson"
    log.write_bytes(next((simulated["tmp"] / "log" / "events").glob("events-*.dsjson")).read_bytes())
    done = run_json(capsys, command, str(log), "--json", "--tensorboard", str(tmp_path / "tb"))
    assert Path(done["tensorboard"]) == tmp_path / "tb" / f"{command}-kitchen_log__monday_"


def test_a_sweep_writes_one_run_per_combination_for_the_hparams_view(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("exploration:\n  - {type: epsilon, epsilon: 0.05}\n  - {type: squarecb, gamma_scale: 10}\nlearning_rate: [0.05, 1.0]\n")
    out = run_json(capsys, "simulate", "--world", "linear", "--events", "1500", "--sweep", str(grid), "--json",
                   "--log-dir", str(tmp_path / "logs"), "--tensorboard", str(tmp_path / "tb"))
    runs = out["runs"]
    assert [r["run"] for r in runs] == sorted(p.name for p in (tmp_path / "tb").iterdir())
    seen = []
    for r in runs:
        found, metrics = hparams(tmp_path / "tb" / r["run"])
        seen.append(found)  # the settings that differ, and only those: the HParams view shows them all at first
        assert metrics["final/events"] == 1500
        assert metrics["final/simulate_expected_reward"] == pytest.approx(r["avg_reward"], rel=1e-6)
    assert seen == [{"exploration": e, "learning_rate": lr} for e in ("epsilon-0.05", "squarecb-10") for lr in (0.05, 1.0)]
    assert out["best"] == max(runs, key=lambda r: r["avg_reward"])["run"]
    assert max(r["avg_reward"] for r in runs) > min(r["avg_reward"] for r in runs)  # the settings matter


def test_a_sweep_refuses_a_bad_grid_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--events", "10", "--sweep", "{exploration.epsilon: [0.1]}", "--tensorboard", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "sweep run00-exploration.epsilon=0.1" in err and "type" in err
    assert main(["simulate", "--events", "10", "--sweep", "{learning_rate: 0.1}"]) == 2
    assert "--sweep:1: learning_rate" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
