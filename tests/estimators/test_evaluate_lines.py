"""What ``wabbit evaluate`` makes of the lines of a real loop's log: a decision learned again with a late reward
(``late_reward: learn``) counts once, with the reward the learner finally used; ``pdrop`` reaches every interval."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from appliance.cli import main
from appliance.config import AppConfig
from appliance.estimators.value import PolicyValue
from appliance.evaluation import Constant, Logged, Uniform, VWCandidate, evaluate
from appliance.simulate import simulate

CANDIDATE = "--cb_explore_adf --epsilon 0.1 -q :c"


@pytest.fixture(scope="module")
def late_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 decisions of the real loop on the light world; rewards take 3 s on average, the wait is 2 s and late
    rewards are learned as new examples."""
    config = AppConfig.model_validate({
        "simulation": {"world": "light", "seed": 3, "missing": 0.0, "duplicate": 0.0, "delay": {"mean_s": 3.0}},
        "join": {"reward_wait_s": 2.0, "late_reward": "learn"}})
    return Path(simulate(config, 600, tmp_path_factory.mktemp("late"))["log"])


def _candidates() -> list[Any]:
    return [Logged(), Uniform(), Constant("warm"), VWCandidate(CANDIDATE)]


def test_a_decision_learned_again_with_a_late_reward_counts_once_with_it(late_log: Path, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    lines = [json.loads(line) for line in late_log.read_text().splitlines()]
    own = [line for line in lines if "_late" not in line]
    late = [line for line in lines if "_late" in line]
    assert len(own) == 600 and len(late) > 50  # the loop learned these decisions twice
    position = {line["EventId"]: i for i, line in enumerate(lines) if "_late" not in line}
    final = {}
    for i, line in enumerate(lines):
        if "_late" in line:
            assert i > position[line["EventId"]]  # learned after its decision: the learner's last word on it
            final[line["EventId"]] = line["_label_cost"]
    # the log a user would expect: each decision once, at its place, with the reward the learner finally used
    expected = tmp_path / "expected.dsjson"
    expected.write_text("".join(json.dumps({**line, "_label_cost": final.get(line["EventId"], line["_label_cost"])}) + "\n"
                                for line in own))

    result = evaluate([late_log], _candidates(), ("ips", "snips"), ("cs", "gaussian"))
    reference = evaluate([expected], _candidates(), ("ips", "snips"), ("cs", "gaussian"))
    assert (result.events, result.late_rewards) == (600, len(late))
    assert result.values == reference.values  # the VW candidate too: it learned each decision once, with its final reward
    rewards = [-final.get(line["EventId"], line["_label_cost"]) for line in own]
    assert result.values["online"]["estimates"]["ips"] == pytest.approx(sum(rewards) / 600, abs=1e-12)
    assert sum(rewards) > sum(-line["_label_cost"] for line in own)  # the late rewards changed the value

    assert main(["evaluate", str(late_log), "--json", "--no-baselines", "--estimators", "ips"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["events"], report["late_rewards"]) == (600, len(late))


def test_pdrop_reaches_every_estimate_and_interval(log: Path, tmp_path: Path) -> None:
    """Lines logged with ``pdrop`` (the chance an event like it was dropped) are valued as vw-estimators' calls with
    ``p_drop`` would value them, read from the raw JSON here."""
    lines = [line for line in log.read_text().splitlines() if line.startswith('{"')]
    events = [json.loads(line) for line in lines]
    for i, event in enumerate(events):
        if i % 5 == 0:
            event["pdrop"] = 0.25
    dropped = tmp_path / "dropped.dsjson"
    dropped.write_text("".join(json.dumps(event) + "\n" for event in events))
    estimators, intervals = ("ips", "snips"), ("cs", "gaussian", "cressie_read", "clopper_pearson")

    result = evaluate([dropped], [Logged(), Uniform()], estimators, intervals, reward_range=(0.0, 1.0))
    plain = evaluate([log], [Logged(), Uniform()], estimators, intervals, reward_range=(0.0, 1.0))
    online, uniform = PolicyValue(estimators, intervals, 0.0, 1.0, False), PolicyValue(estimators, intervals, 0.0, 1.0, False)
    for event in events:
        if event.get("_skipLearn"):
            continue
        p_log, reward, p_drop = event["_label_probability"], -event["_label_cost"], event.get("pdrop", 0.0)
        online.add_example(p_log, reward, p_log, p_drop=p_drop)
        uniform.add_example(p_log, reward, 1 / len(event["a"]), p_drop=p_drop)
    assert result.values == {"online": online.summary(), "random": uniform.summary()}
    assert result.values["random"]["intervals"] != plain.values["random"]["intervals"]


def test_a_candidate_choosing_what_the_logger_never_could_is_not_judged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A deterministic logger (p = 1 for its choice, 0 for the others) tells nothing of the actions it never takes:
    IPS counts them as worth 0, and intervals built on it (Clopper-Pearson, Gaussian) exclude the truth with
    confidence. Each candidate's share of choices the log cannot value is reported, and a candidate with any gets no
    better/worse verdict."""
    line = ('{{"_label_cost":{cost},"_label_probability":1.0,"_labelIndex":0,"a":[1,2,3],"p":[1.0,0.0,0.0],"EventId":"e{i}",'
            '"c":{{"_multi":[{{"_id":"on"}},{{"_id":"off"}},{{"_id":"dim"}}]}}}}')
    path = tmp_path / "deterministic.dsjson"
    path.write_text("".join(line.format(cost=-float(i % 3 == 0), i=i) + "\n" for i in range(300)))
    assert main(["evaluate", str(path), "--json", "--estimators", "ips", "--intervals", "clopper_pearson", "--reward-range", "0", "1"]) == 0
    candidates = json.loads(capsys.readouterr().out)["candidates"]
    unsupported = {name: value["unsupported"] for name, value in candidates.items()}
    assert unsupported == pytest.approx({"online": 0.0, "random": 2 / 3, "always on": 0.0, "always off": 1.0, "always dim": 1.0})
    assert candidates["always off"]["estimates"]["ips"] == 0.0  # what IPS makes of it: not the action's value
    for name in ("random", "always off", "always dim"):
        assert candidates[name]["verdict"].startswith("not valued:"), candidates[name]["verdict"]
    assert candidates["always on"]["verdict"] == "not distinguishable at 95%"  # what the logger did: valued in full
    assert main(["evaluate", str(path), "--estimators", "ips", "--intervals", "clopper_pearson", "--reward-range", "0", "1"]) == 0
    rows = {line.split("  ")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert rows["always off"].endswith("not valued: 100% of its choices the logging policy never made")  # the table says it too
