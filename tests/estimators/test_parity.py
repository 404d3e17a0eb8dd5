"""Parity: every estimator and interval vw-estimators 0.2.2 also has gives its numbers to 1e-9 on the same
DSJSON log; IPS of a replayed VW candidate equals VW's own progressive estimate; the special functions agree
with scipy."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any, Callable

import pytest
import vowpalwabbit

from appliance.estimators import (
    IPS,
    MLE,
    SNIPS,
    ClopperPearson,
    ConfidenceSequence,
    CressieRead,
    CressieReadInterval,
    Gaussian,
    special,
)
from appliance.evaluation import Logged, Uniform, VWCandidate, evaluate
from appliance.storage import dsjson

ref = pytest.importorskip("estimators.bandits.ips", reason="vw-estimators is not installed: pip install -r tests/requirements/estimators.txt")
from estimators.bandits import clopper_pearson, cressieread, cs, gaussian, ips, mle, snips  # noqa: E402

Policy = Callable[[dsjson.Logged], float]


def events(log: Path) -> list[dsjson.Logged]:
    bad: list[int] = []
    found = [e for e in dsjson.read([log], lambda path, number, why: bad.append(number)) if not e.skip_learn]
    assert bad == [11] and len(found) == 1499
    return found


POLICIES: dict[str, Policy] = {
    "online": lambda e: e.event.decision.probability,
    "random": lambda e: 1 / len(e.event.decision.actions),
    "always warm": lambda e: float(e.event.decision.action == "warm"),
}
PAIRS: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("ips", IPS, ips.Estimator), ("snips", SNIPS, snips.Estimator), ("mle", MLE, mle.Estimator),
    ("cressie_read", CressieRead, cressieread.Estimator),
]
INTERVAL_PAIRS: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("gaussian", Gaussian, gaussian.Interval), ("clopper_pearson", ClopperPearson, clopper_pearson.Interval),
    ("cressie_read", CressieReadInterval, cressieread.Interval), ("cs", ConfidenceSequence, cs.Interval),
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name,ours,theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_estimators_equal_vw_estimators(log: Path, policy: str, name: str, ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
    mine, reference = ours(), theirs()
    for e in events(log):
        p_pred = POLICIES[policy](e)
        mine.add_example(e.event.decision.probability, e.event.reward, p_pred)
        reference.add_example(e.event.decision.probability, e.event.reward, p_pred)
    assert mine.get() == pytest.approx(reference.get(), abs=1e-9)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name,ours,theirs", INTERVAL_PAIRS, ids=[p[0] for p in INTERVAL_PAIRS])
def test_intervals_equal_vw_estimators(log: Path, policy: str, name: str, ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
    mine, reference = ours(), theirs()
    for i, e in enumerate(events(log)):
        p_pred, p_drop = POLICIES[policy](e), 0.1 if i % 7 == 0 else 0.0
        mine.add_example(e.event.decision.probability, e.event.reward, p_pred, p_drop=p_drop)
        reference.add_example(e.event.decision.probability, e.event.reward, p_pred, p_drop)
    for alpha in (0.05, 0.1, 0.3):
        assert mine.get(alpha) == pytest.approx(reference.get(alpha), abs=1e-9)


MERGEABLE = [*PAIRS[:2], PAIRS[3], *INTERVAL_PAIRS[:3]]  # vw-estimators merges neither MLE nor its confidence sequence


@pytest.mark.parametrize("name,ours,theirs", MERGEABLE, ids=[p[0] for p in MERGEABLE])
def test_merged_halves_equal_vw_estimators_merge(log: Path, name: str, ours: Callable[[], Any], theirs: Callable[[], Any]) -> None:
    found = events(log)
    halves = [(ours(), theirs()), (ours(), theirs())]
    for i, e in enumerate(found):
        for estimator in halves[i * 2 // len(found)]:
            estimator.add_example(e.event.decision.probability, e.event.reward, POLICIES["random"](e))
    mine, reference = halves[0][0] + halves[1][0], halves[0][1] + halves[1][1]
    args = (0.05,) if isinstance(mine, (Gaussian, ClopperPearson, CressieReadInterval)) else ()
    assert mine.get(*args) == pytest.approx(reference.get(*args), abs=1e-9)
    assert type(mine).from_state(json.loads(json.dumps(mine.state()))).get(*args) == mine.get(*args)


def test_ips_of_a_replayed_candidate_is_vws_progressive_estimate(log: Path) -> None:
    """VW's progressive average loss of --cb_explore_adf is the IPS estimate of its own exploring policy."""
    options = "--cb_explore_adf --epsilon 0.1 -q :c --random_seed 1"
    result = evaluate([log], [Logged(), Uniform(), VWCandidate(options, name="candidate")], estimators=("ips",), intervals=())
    native = vowpalwabbit.Workspace(arg_list=[*options.split(), "--dsjson", "--quiet"])
    for e in events(log):
        examples = native.parse(dsjson.encode(e.event, e.features).decode())
        native.learn(examples)
        native.finish_example(examples)
    progressive = -native.get_sum_loss() / native.get_weighted_examples()
    assert result.values["candidate"]["estimates"]["ips"] == pytest.approx(progressive, abs=1e-6)  # VW sums in float32


def test_special_functions_equal_scipy() -> None:
    sc = pytest.importorskip("scipy.special")
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(1)
    for _ in range(300):
        a, b, x, q = math.exp(rng.uniform(-3, 10)), math.exp(rng.uniform(-3, 10)), rng.random(), rng.random()
        assert special.betainc(a, b, x) == pytest.approx(sc.betainc(a, b, x), abs=1e-11)
        assert special.beta_ppf(q, a, b) == pytest.approx(stats.beta.ppf(q, a, b), abs=1e-11)
        assert special.gammainc(a, x * a * 2) == pytest.approx(sc.gammainc(a, x * a * 2), abs=1e-10)
        assert special.trigamma(a) == pytest.approx(float(sc.polygamma(1, a)), rel=1e-11)
        n, alpha = math.exp(rng.uniform(0, 12)), rng.uniform(0.001, 0.5)
        assert special.f1_isf(alpha, n) == pytest.approx(stats.f.isf(alpha, 1, n), rel=1e-9)
