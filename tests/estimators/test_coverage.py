"""Does the confidence hold? Every interval kind on logs with a known true value (the coverage benchmark's own
harness and data, :mod:`appliance.estimators.coverage`, at a small scale): 95% intervals cover the truth about 95%
of the time, and the confidence sequence holds it after every event in at least about 95% of the runs. The full
figures (200 seeds, ``wabbit bench --only estimators.coverage``) are in docs/estimators.md."""

from __future__ import annotations

import pytest

from appliance.bench.coverage_data import arms_run, generated_runs, world_run
from appliance.estimators import ConfidenceSequence
from appliance.estimators.coverage import PAIRS, SEQUENCE, Run, Tally, judge, judge_all
from appliance.registry import REGISTRY

SEEDS = 20


@pytest.fixture(scope="module")
def tally() -> Tally:
    """Every pair on the arms, a generated dataset and the light world, over ``SEEDS`` seeds of 250 events."""
    tally = Tally()
    for seed in range(SEEDS):
        runs: list[Run] = [arms_run(seed, 250), generated_runs(seed, 250, truth_examples=5000)[1], world_run("light", seed, 250)]
        for run in runs:
            tally.add(judge_all(run))
    return tally


def test_every_interval_kind_is_judged(tally: Tally) -> None:
    judged = {PAIRS[row["pair"]][0] for row in tally.rows()}
    assert set(REGISTRY.kinds("intervals")) <= judged


@pytest.mark.parametrize("pair", ["ips/gaussian", "dr/gaussian", "ips/clopper_pearson", "cressie_read/cressie_read", SEQUENCE])
def test_95_percent_intervals_cover_the_truth(tally: Tally, pair: str) -> None:
    summary = tally.by_pair()[pair]
    assert summary["runs"] >= 300
    # 95% nominal; pooled over targets ~3 standard errors leave room for chance. The Gaussian is asymptotic: with
    # weights up to 20 on 300 events it covers a little less (about 0.91 here), so its bound is lower.
    assert summary["coverage"] >= (0.86 if pair.endswith("gaussian") else 0.92), summary


def test_the_confidence_sequence_holds_after_every_event(tally: Tally) -> None:
    summary = tally.by_pair()[SEQUENCE]
    assert summary["always"] >= 0.93, summary
    assert summary["always"] <= summary["coverage"]  # held after every event implies held at the end


def test_widths_order_as_the_theory_says(tally: Tally) -> None:
    """A sequence valid at every moment is wider than a fixed-time interval; DR with a half-right model is narrower
    than IPS under the same Gaussian interval; the scaled Clopper-Pearson is wider than vw-estimators'."""
    width = {row["pair"]: [] for row in tally.rows()}
    for row in tally.rows():
        width[row["pair"]].append(row["mean_width"])
    mean = {pair: sum(w) / len(w) for pair, w in width.items()}
    assert mean[SEQUENCE] > mean["cressie_read/cressie_read"]
    assert mean["dr/gaussian"] < mean["ips/gaussian"]
    assert mean["ips/clopper_pearson"] > mean["ips/clopper_pearson_vw"]


def test_vw_estimators_clopper_pearson_under_covers_where_large_weights_carry_the_value() -> None:
    """vw-estimators' formula counts n / max(w) trials: when the rare arm (p_log 0.1, w 10) is the target and
    pays 0.7, its interval is about 0.64 as wide as IPS's spread needs; the scaled one holds."""
    tally = Tally()
    for seed in range(100):
        tally.add([judge(arms_run(seed, 300), "a2", every_event=False)])
    rows = {row["pair"]: row for row in tally.rows()}
    assert rows["ips/clopper_pearson_vw"]["coverage"] <= 0.9, rows["ips/clopper_pearson_vw"]
    assert rows["ips/clopper_pearson"]["coverage"] >= 0.93, rows["ips/clopper_pearson"]


def test_point_estimators_are_unbiased_where_the_theory_says(tally: Tally) -> None:
    """IPS and DR are unbiased: their mean error over the runs is within a few standard errors of zero."""
    for row in tally.errors():
        if row["estimator"] in ("ips", "dr"):
            assert abs(row["bias"]) <= 3.5 * row["rmse"] / SEEDS**0.5, row


def test_contains_agrees_with_the_bounds_after_every_event() -> None:
    """``contains`` (what the every-event check calls, with its closed-form shortcut) says what ``get`` says."""
    run = arms_run(1, 120)
    for target in run.targets.values():
        sequence = ConfidenceSequence()
        for p_log, r, p_pred in zip(run.p_log.tolist(), run.reward.tolist(), target.p_pred.tolist()):
            sequence.add_example(p_log, r, p_pred)
            lower, upper = sequence.get()
            assert lower is not None and upper is not None
            for value in (target.truth, lower - 1e-6, lower + 1e-6, upper - 1e-6, upper + 1e-6):
                if 0.0 <= value <= 1.0:
                    assert sequence.contains(value) == (lower <= value <= upper), (value, lower, upper)
