"""``vw/average_loss`` against VW's own counter: the progressive average loss ``vw --cb_explore_adf --dsjson`` reports
over the loop's log (pyvw's ``get_sum_loss() / get_weighted_examples()``, learning each line through ``learn`` and
``finish_example``). The loop learns through ``learn_multi``, which leaves that counter at 0, so the signal is computed
as VW defines it, from the logged pmf: it is VW's counter exactly when each decision is learned before the next one
is made; with a wait spanning later decisions, VW scores the pmf of the model it learns with, which moved."""

from __future__ import annotations

from pathlib import Path

import pytest
import vowpalwabbit

from appliance.config import AppConfig, VWPolicyConfig
from appliance.policy.vw import vw_arguments
from appliance.watch.runs import simulate_watched
from tests.tensorboard.conftest import last, read_run, scalars

EVENTS = 2000


def watched(tmp_path: Path, join: dict[str, float]) -> tuple[float, float]:
    """A watched simulation of the light world, one decision a second, rewards 0.1 s after it: the logged
    ``vw/average_loss`` and VW's own counter over its log."""
    config = AppConfig.model_validate({"simulation": {"world": "light", "seed": 3, "delay": {"distribution": "fixed", "mean_s": 0.1}},
                                       "join": join})
    result = simulate_watched(config, EVENTS, tmp_path / "log", tmp_path / "tb", "loss", {})
    points = scalars(read_run(Path(result["tensorboard"])))
    assert last(points, "events/joined") == EVENTS
    policy = config.effective_policy()
    assert isinstance(policy, VWPolicyConfig)
    vw = vowpalwabbit.Workspace(arg_list=[*vw_arguments(policy), "--dsjson"])
    try:
        for line in Path(result["log"]).read_text().splitlines():
            examples = vw.parse(line)
            vw.learn(examples)
            vw.finish_example(examples)
        assert vw.get_weighted_examples() == EVENTS
        return last(points, "vw/average_loss"), vw.get_sum_loss() / vw.get_weighted_examples()
    finally:
        vw.finish()


def test_vw_average_loss_is_vws_own_counter_when_each_decision_is_learned_before_the_next(tmp_path: Path) -> None:
    logged, vws = watched(tmp_path, {"reward_wait_s": 1.0})  # closed (and learned) just before the next decision
    assert vws < -0.3  # VW's loss is minus the reward: it learned to press the button
    assert logged == pytest.approx(vws, rel=1e-6)  # float32 in both


def test_with_a_longer_wait_vw_scores_the_pmf_it_learns_with(tmp_path: Path) -> None:
    logged, vws = watched(tmp_path, {"reward_wait_s": 10.0})  # the default: about 10 later decisions learned first
    # measured 0.024 (4.9%) apart on the light world as a generator spec (seeds 1 to 5: 0.007 to 0.041; the hand-made
    # world's: 0.002 to 0.027): a different model's pmf, close to the logged one
    assert logged != pytest.approx(vws, rel=1e-6) and logged == pytest.approx(vws, abs=0.03)
