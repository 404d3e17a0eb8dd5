"""Every registered estimator and interval passes the same checks: a merge of two streams equals one pass over both
(the confidence sequence: stays valid instead), a state survives JSON, bad input is refused with a reason; the
streaming kinds agree with the shipped fakes' batch computations."""

from __future__ import annotations

import json
import random

import pytest

from appliance.estimators import ConfidenceSequence, EstimatorError, RecordingEstimator, RecordingInterval, Streaming, restore
from appliance.estimators.value import PolicyValue, build_estimator, build_interval
from appliance.registry import REGISTRY

KINDS: dict[str, type[Streaming]] = {f"{role} {name}": kind.implementation_class()
                                     for role in ("estimators", "intervals") for name, kind in REGISTRY.kinds(role).items()}
INTERVALS = tuple(kind.implementation_class() for kind in REGISTRY.kinds("intervals").values())


def feed(estimator: Streaming, seed: int, n: int) -> None:
    """``n`` events of a logging policy (0.1, 0.3, 0.6) and a target policy (0.5, 0.5, 0), rewards 0 or 1."""
    rng = random.Random(seed)
    for _ in range(n):
        chosen = rng.choices(range(3), (0.1, 0.3, 0.6))[0]
        r_hat = rng.random()
        estimator.add_example((0.1, 0.3, 0.6)[chosen], float(rng.random() < 0.4), (0.5, 0.5, 0.0)[chosen],  # type: ignore[attr-defined]
                              count=rng.choice((1, 2)), r_hat=r_hat, v_hat=r_hat / 2)


def value(estimator: Streaming) -> object:
    return estimator.get(0.1) if type(estimator) in INTERVALS else estimator.get()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_merge_state_and_errors(kind: type[Streaming]) -> None:
    whole, first, second = kind(), kind(), kind()
    feed(whole, 1, 300), feed(whole, 2, 200)
    feed(first, 1, 300), feed(second, 2, 200)
    merged = first + second
    if kind is ConfidenceSequence:  # each stream's bets from its own past only: not equal, still a valid interval
        lower, upper = value(merged)  # type: ignore[misc]
        assert lower is not None and upper is not None and lower <= upper
    else:
        assert value(merged) == pytest.approx(value(whole), rel=1e-9)
    restored = restore(json.loads(json.dumps(merged.state())))
    assert type(restored) is kind and value(restored) == value(merged)
    with pytest.raises(EstimatorError, match="p_log"):
        kind().add_example(0.0, 1.0, 0.5)  # type: ignore[attr-defined]
    with pytest.raises(EstimatorError, match=r"p_pred 2.0 must be in \[0, 1\]: .* not an importance weight"):
        kind().add_example(0.5, 1.0, 2.0)  # type: ignore[attr-defined]
    with pytest.raises(EstimatorError, match="merge"):
        merged + RecordingEstimator()  # type: ignore[operator]


def test_a_fresh_estimator_has_no_value() -> None:
    assert all(build_estimator(name).get() is None for name in REGISTRY.kinds("estimators"))  # type: ignore[attr-defined]
    assert all(build_interval(name, 0.0, 1.0, True).get(0.05) == [None, None] for name in REGISTRY.kinds("intervals"))  # type: ignore[attr-defined]


def test_streaming_kinds_equal_the_fakes_batch_computations() -> None:
    streaming, batch = build_estimator("ips"), RecordingEstimator()
    feed(streaming, 3, 100), feed(batch, 3, 100)  # type: ignore[arg-type]
    assert streaming.get() == pytest.approx(batch.get())  # type: ignore[attr-defined]
    streaming, batch_interval = build_interval("gaussian", 0.0, 1.0, True), RecordingInterval()
    feed(streaming, 4, 100), feed(batch_interval, 4, 100)  # type: ignore[arg-type]
    assert streaming.get(0.05) == pytest.approx(batch_interval.get(0.05))  # type: ignore[attr-defined]


def test_a_kind_is_built_from_its_config_and_an_unknown_name_lists_the_kinds() -> None:
    config = REGISTRY.kind("estimators", "switch_dr").config_class()(tau=3.0)
    assert REGISTRY.build("estimators", config).params() == {"tau": 3.0}
    assert build_interval("cs", -1.0, 2.0, False).params() == {"rmin": -1.0, "rmax": 2.0, "empirical_r_bounds": False}
    assert build_interval("clopper_pearson", 0.0, 1.0, True).params()["scaled"] is True  # what wabbit evaluate builds
    with pytest.raises(EstimatorError, match="unknown estimator state type 'Bootstrap'; known: .*IPS"):
        restore({"type": "Bootstrap"})


@pytest.mark.parametrize("given", ["both", "p_drop", "none"])
@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_a_batch_with_drops_gives_the_figures_of_one_at_a_time(kind: type[Streaming], given: str) -> None:
    """``add_examples`` over batches of events that stand for dropped ones (a sampled stream) keeps the sums of
    ``add_example`` one event at a time with the same drops (to 1e-12; they differ in the order they are added)."""
    import numpy as np

    if getattr(kind, "NEEDS", ()):  # DM and DR: a batch has no reward model's predictions
        with pytest.raises(EstimatorError, match="needs the reward model's predictions with every event"):
            kind().add_examples(np.array([0.5]), np.array([1.0]), np.array([0.5]))
        return
    rng, batched, single = random.Random(9), kind(), kind()
    for size in (40, 1, 300):
        chosen = rng.choices(range(3), (0.1, 0.3, 0.6), k=size)
        p_log = np.array([(0.1, 0.3, 0.6)[c] for c in chosen])
        r = np.array([float(rng.random() < 0.4) for _ in chosen])
        p_pred = np.array([(0.5, 0.5, 0.0)[c] for c in chosen])
        p_drop = np.array([rng.choice((0.0, 0.5, 0.9)) for _ in chosen])
        n_drop = np.array([float(rng.randrange(12)) if p > 0 else 0.0 for p in p_drop])
        drops = {"both": (p_drop, n_drop), "p_drop": (p_drop, None), "none": ()}[given]
        batched.add_examples(p_log, r, p_pred, *drops)
        for i in range(size):
            extra = {"both": {"p_drop": p_drop[i], "n_drop": n_drop[i]}, "p_drop": {"p_drop": p_drop[i]}, "none": {}}[given]
            single.add_example(float(p_log[i]), float(r[i]), float(p_pred[i]), **extra)  # type: ignore[attr-defined]
        sums = batched.SUMS + batched.MAXES + batched.MINS
        assert [getattr(batched, f) for f in sums] == pytest.approx([getattr(single, f) for f in sums], rel=1e-12)
        assert value(batched) == pytest.approx(value(single), rel=1e-10)  # cs's bounds magnify the sums' last bits
    with pytest.raises(EstimatorError, match="p_drop"):
        kind().add_examples(p_log, r, p_pred, np.full(len(r), 1.0))
    with pytest.raises(EstimatorError, match=r"p_pred.* in \[0, 1\]"):
        kind().add_examples(p_log, r, p_pred * 4)


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_an_empty_batch_changes_nothing_and_a_reward_out_of_range_is_refused(kind: type[Streaming]) -> None:
    import numpy as np

    estimator, empty = kind(), np.array([])
    estimator.add_examples(empty, empty, empty)
    assert value(estimator) == value(kind())
    if kind.__name__ in ("ClopperPearson", "CressieReadInterval", "ConfidenceSequence"):  # rewards in [0, 1] unless told otherwise
        with pytest.raises(EstimatorError, match="outside"):  # not clipped silently: an interval then missed its own IPS
            kind().add_examples(np.array([0.5]), np.array([2.0]), np.array([0.5]))
        with pytest.raises(EstimatorError, match="outside"):
            kind().add_example(0.5, -1.0, 0.5)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["dm", "dr", "switch_dr"])
def test_a_model_based_estimator_refuses_an_event_without_the_models_predictions(name: str) -> None:
    estimator = REGISTRY.build("estimators", REGISTRY.kind("estimators", name).config_class()())
    with pytest.raises(EstimatorError, match=r"needs the reward model's predictions with every event: add_example\(p_log, r, "
                                             r"p_pred, (r_hat=\.\.\., )?v_hat=\.\.\.\)"):
        estimator.add_example(0.5, 1.0, 1.0)
    assert estimator.get() is None  # nothing was counted


@pytest.mark.parametrize("name", ["dm", "dr", "switch_dr"])
def test_the_models_value_stands_for_the_dropped_events_too(name: str) -> None:
    """An event logged with ``p_drop`` stands for itself and the dropped ones like it: the importance weight carries
    them for IPS's part, and the model's value of the policy must carry them too. A perfect model on events half of
    which were dropped: IPS, DM, DR and switch-DR all give the true value, 1 (they gave 0.5: the dropped events'
    model values counted as zeros), and the Gaussian interval around DR is centred on it."""
    estimator, interval, ips = build_estimator(name), build_interval("gaussian", 0.0, 1.0, False), build_estimator("ips")
    for each in (estimator, interval, ips):
        for _ in range(10):
            each.add_example(0.5, 1.0, 0.5, p_drop=0.5, r_hat=1.0, v_hat=1.0)  # type: ignore[attr-defined]
    lower, upper = interval.get(0.05)  # type: ignore[attr-defined]
    assert (ips.get(), estimator.get(), (lower + upper) / 2) == pytest.approx((1.0, 1.0, 1.0))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS.values(), ids=KINDS.keys())
def test_a_reward_that_is_not_a_finite_number_is_refused_and_changes_nothing(kind: type[Streaming]) -> None:
    """A nan or infinite reward would turn every later estimate into nan: each kind refuses it, one event or a batch, even
    with rewards' bounds taken from the data, and keeps what it had."""
    import inspect

    import numpy as np

    empirical = {"empirical_r_bounds": True} if "empirical_r_bounds" in inspect.signature(kind).parameters else {}
    estimator = kind(**empirical)
    feed(estimator, 5, 50)
    before = json.dumps(estimator.state())
    for bad in (float("nan"), float("inf"), -float("inf")):
        # Clopper-Pearson has no empirical bounds: its range check refuses the reward first
        reason = "outside" if kind.__name__ == "ClopperPearson" else f"reward {bad!r} is not a finite number"
        with pytest.raises(EstimatorError, match=reason):
            estimator.add_example(0.5, bad, 0.5, r_hat=0.5, v_hat=0.5)  # type: ignore[attr-defined]
        if not getattr(kind, "NEEDS", ()):  # DM and DR take no batch
            reason = "outside" if kind.__name__ == "ClopperPearson" else f"reward {bad!r} of the batch is not a finite number"
            with pytest.raises(EstimatorError, match=reason):
                estimator.add_examples(np.array([0.5, 0.5]), np.array([1.0, bad]), np.array([0.5, 0.5]))
        assert json.dumps(estimator.state()) == before


def test_a_policy_value_refuses_a_nan_reward_without_counting_it() -> None:
    value = PolicyValue(estimators=("ips", "snips", "dr"), intervals=("gaussian", "cs"))
    value.add_example(0.5, 1.0, 0.5, r_hat=0.5, v_hat=0.5)
    with pytest.raises(EstimatorError, match="reward nan is not a finite number"):
        value.add_example(0.5, float("nan"), 0.5, r_hat=0.5, v_hat=0.5)
    summary = value.summary()
    assert summary["events"] == 1.0 and summary["estimates"] == {"ips": 1.0, "snips": 1.0, "dr": 1.0}


@pytest.mark.parametrize("kind", [KINDS[key] for key in ("estimators dm", "estimators dr", "estimators switch_dr", "intervals gaussian")],
                         ids=["dm", "dr", "switch_dr", "gaussian"])
def test_a_reward_model_prediction_that_is_not_a_finite_number_is_refused_and_changes_nothing(kind: type[Streaming]) -> None:
    """A nan or infinite ``r_hat`` or ``v_hat`` (a broken reward model) would make every later model-based estimate nan:
    each kind that uses it refuses the event, says which prediction it was, and keeps what it had."""
    estimator = kind()
    feed(estimator, 5, 50)
    before = json.dumps(estimator.state())
    used = getattr(kind, "NEEDS", ("r_hat", "v_hat"))
    for name in used:
        for bad in (float("nan"), float("inf"), -float("inf")):
            predictions = {"r_hat": 0.5, "v_hat": 0.5, name: bad}
            with pytest.raises(EstimatorError, match=rf"^{name} {bad!r} \(the reward model's .*\) is not a finite number"):
                estimator.add_example(0.5, 1.0, 0.5, **predictions)  # type: ignore[attr-defined]
    assert json.dumps(estimator.state()) == before


def test_a_policy_value_refuses_a_nan_prediction_before_any_estimator_counts_it() -> None:
    value = PolicyValue(estimators=("ips", "dr"), intervals=("cs",))
    value.add_example(0.5, 1.0, 0.5, r_hat=0.5, v_hat=0.5)
    before = json.dumps(value.state())
    with pytest.raises(EstimatorError, match=r"^r_hat nan \(the reward model's prediction for the logged action\)"):
        value.add_example(0.5, 1.0, 0.5, r_hat=float("nan"), v_hat=0.5)
    assert json.dumps(value.state()) == before


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 1.5, float("nan")])
@pytest.mark.parametrize("kind", INTERVALS, ids=[kind.__name__ for kind in INTERVALS])
def test_an_alpha_outside_0_1_is_refused_by_name(kind: type[Streaming], alpha: float) -> None:
    """It used to be a ZeroDivisionError, a StatisticsError, a math domain error or an interval whose lower end is above
    its upper one, depending on the kind."""
    interval = kind()
    feed(interval, 1, 200)
    with pytest.raises(EstimatorError, match=r"alpha .* must be in \(0, 1\)"):
        interval.get(alpha)  # type: ignore[attr-defined]
    assert all(bound is not None for bound in interval.get(0.05))  # type: ignore[attr-defined]
