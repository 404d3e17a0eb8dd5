"""``vw/average_loss`` against VW's own counter: the progressive average loss ``vw --cb_explore_adf --dsjson`` reports
over the loop's log (pyvw's ``get_sum_loss() / get_weighted_examples()``, learning each line through ``learn`` and
``finish_example``). The loop learns through ``learn_multi``, which leaves that counter at 0, so the signal is computed
as VW defines it, from the logged pmf: it is VW's counter exactly when each decision is learned before the next one
is made; with a wait spanning later decisions, VW scores the pmf of the model it learns with, which moved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.config import AppConfig, VWPolicyConfig
from appliance.policy.vw import vw_arguments
from appliance.watch.runs import simulate_watched
from tests.tensorboard.conftest import last, read_run, scalars

EVENTS = 2000
LONGER_WAIT_EVENTS = 8000  # the longer wait's gap is noise that shrinks with the events: see its test


def watched(tmp_path: Path, join: dict[str, float], events: int = EVENTS) -> tuple[float, float, float]:
    """A watched simulation of the light world, one decision a second, rewards 0.1 s after it: the logged
    ``vw/average_loss``, VW's own counter over its log, and that counter recomputed from VW's pmf (each line's cost
    times VW's probability of the logged action over the logged one, the pmf predicted just before learning it)."""
    config = AppConfig.model_validate({"simulation": {"world": "light", "seed": 3, "delay": {"distribution": "fixed", "mean_s": 0.1}},
                                       "join": join})
    result = simulate_watched(config, events, tmp_path / "log", tmp_path / "tb", "loss", {})
    points = scalars(read_run(Path(result["tensorboard"])))
    assert last(points, "events/joined") == events
    policy = config.effective_policy()
    assert isinstance(policy, VWPolicyConfig)
    vw = vowpalwabbit.Workspace(arg_list=[*vw_arguments(policy), "--dsjson"])
    rescored = 0.0
    try:
        for line in Path(result["log"]).read_text().splitlines():
            examples = vw.parse(line)
            pmf = vw.predict(examples)  # by action, as VW ranks them when it learns this line
            logged = json.loads(line)
            rescored += logged["_label_cost"] * pmf[logged["_label_Action"] - 1] / logged["_label_probability"]
            vw.learn(examples)
            vw.finish_example(examples)
        assert vw.get_weighted_examples() == events
        return last(points, "vw/average_loss"), vw.get_sum_loss() / events, rescored / events
    finally:
        vw.finish()


def test_vw_average_loss_is_vws_own_counter_when_each_decision_is_learned_before_the_next(tmp_path: Path) -> None:
    logged, vws, rescored = watched(tmp_path, {"reward_wait_s": 1.0})  # closed (and learned) just before the next decision
    assert vws < -0.3  # VW's loss is minus the reward: it learned to press the button
    assert logged == pytest.approx(vws, rel=1e-6)  # float32 in both
    assert rescored == pytest.approx(vws, rel=1e-5)


def test_with_a_longer_wait_vw_scores_the_pmf_it_learns_with(tmp_path: Path) -> None:
    """With the default wait about 10 later decisions are learned before each one, so the model VW learns line t with
    is ~10 updates ahead of the one that decided it, and VW weighs the line's cost by its own pmf q: its loss is
    ``-r_t * q_t(a_t) / p_t(a_t)`` (p the logged pmf), which the test recomputes from ``vw.predict``. The logged signal
    is ``-r_t``, so the gap is ``mean_t d_t`` with ``d_t = r_t * (q_t(a_t) / p_t(a_t) - 1)``. Given the past, a_t is drawn
    from p_t, so ``E[q/p] = 1`` and each d_t's mean is only ``sum_a (q_t(a) - p_t(a)) * mu_t(a)``, what ~10 more updates
    are worth; around it the d_t are a martingale's steps, noise of standard deviation about ``sqrt(sum d_t^2) / T``.
    That noise is the gap: SquareCB's pmf moves most where two colours are nearly tied (little value either way), and a
    rarely explored colour VW's newer model favours weighs q/p up to ~40 on one line. It shrinks with the events T
    faster than 1/sqrt(T), since learning slows (rate t**-0.5, SquareCB's gamma 10 * sqrt(t): 10 updates move the pmf
    less). Measured over seeds 1-10 (wait 10 s): at 2,000 events the gap's mean is -0.001, its spread 0.026 (at most
    0.041; each run's noise estimate 0.006-0.033), so no bound of 0.02 holds there whatever the seed; at 8,000 events
    the spread is 0.008 (at most 0.014; noise estimates 0.004-0.011). Hence 8,000 events and 0.02 (4% of the loss)."""
    logged, vws, rescored = watched(tmp_path, {"reward_wait_s": 10.0}, LONGER_WAIT_EVENTS)
    assert rescored == pytest.approx(vws, rel=1e-5)  # VW's counter is the logged costs weighed by VW's own pmf
    assert logged != pytest.approx(vws, rel=1e-6) and logged == pytest.approx(vws, abs=0.02)
