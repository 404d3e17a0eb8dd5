"""Every estimator and interval passes the same checks: a merge of two streams equals one pass over both (the
confidence sequence: stays valid instead), a state survives JSON, bad input is refused with a reason."""

from __future__ import annotations

import json
import random

import pytest

from appliance.estimators import ESTIMATORS, INTERVALS, ConfidenceSequence, EstimatorError, RecordingEstimator, Streaming, restore

KINDS: dict[str, type[Streaming]] = {**{f"estimator {k}": v for k, v in ESTIMATORS.items()}, **{f"interval {k}": v for k, v in INTERVALS.items()}}


def feed(estimator: Streaming, seed: int, n: int) -> None:
    """``n`` events of a logging policy (0.1, 0.3, 0.6) and a target policy (0.5, 0.5, 0), rewards 0 or 1."""
    rng = random.Random(seed)
    for _ in range(n):
        chosen = rng.choices(range(3), (0.1, 0.3, 0.6))[0]
        r_hat = rng.random()
        estimator.add_example((0.1, 0.3, 0.6)[chosen], float(rng.random() < 0.4), (0.5, 0.5, 0.0)[chosen],  # type: ignore[attr-defined]
                              count=rng.choice((1, 2)), r_hat=r_hat, v_hat=r_hat / 2)


def value(estimator: Streaming) -> object:
    return estimator.get(0.1) if estimator in INTERVALS.values() or type(estimator) in INTERVALS.values() else estimator.get()  # type: ignore[attr-defined]


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
    with pytest.raises(EstimatorError, match="merge"):
        merged + RecordingEstimator()  # type: ignore[operator]


def test_a_fresh_estimator_has_no_value() -> None:
    assert all(kind().get() is None for kind in ESTIMATORS.values())  # type: ignore[attr-defined]
    assert all(kind().get(0.05) == [None, None] for kind in INTERVALS.values())  # type: ignore[attr-defined]


def test_streaming_ips_equals_the_batch_computation() -> None:
    streaming, batch = ESTIMATORS["ips"](), RecordingEstimator()
    feed(streaming, 3, 100), feed(batch, 3, 100)  # type: ignore[arg-type]
    assert streaming.get() == pytest.approx(batch.get())  # type: ignore[attr-defined]
