"""Does the confidence hold? Runs of logged events whose target policy's true value is known go through every
interval the library has (and every point estimator); a :class:`Tally` counts how often each interval covered the
truth, how wide it was, and whether the confidence sequence held the truth after every single event.

The pairs judged are an estimator with the interval built around it (:data:`PAIRS`): IPS with the Gaussian,
Clopper-Pearson (ours and vw-estimators') and confidence-sequence intervals, DR with the Gaussian one (when the
run has a reward model), Cressie-Read with its own empirical-likelihood interval.

>>> rng = np.random.default_rng(0)
>>> def run(seed: int) -> Run:  # two actions logged 70/30; the target always takes the second, worth 0.8
...     rng = np.random.default_rng(seed)
...     second = rng.random(400) < 0.3
...     reward = (rng.random(400) < np.where(second, 0.8, 0.4)).astype(float)
...     return Run("toy", np.where(second, 0.3, 0.7), reward, {"second": Target(second.astype(float), 0.8)}, (0.0, 1.0))
>>> tally = Tally()
>>> for seed in range(20): tally.add(judge_all(run(seed)))
>>> rows = {row["pair"]: row for row in tally.rows()}
>>> rows["ips/cs"]["runs"], rows["ips/cs"]["coverage"] >= 0.9, rows["ips/cs"]["always"] >= 0.9
(20, True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from appliance.estimators import ClopperPearson, ConfidenceSequence, Streaming
from appliance.estimators.value import build_estimator, build_interval, needing_a_reward_model
from appliance.registry import REGISTRY

VW_CLOPPER_PEARSON = "clopper_pearson_vw"
PAIRS: dict[str, tuple[str, bool]] = {
    "ips/gaussian": ("gaussian", False), "dr/gaussian": ("gaussian", True), "ips/clopper_pearson": ("clopper_pearson", False),
    "ips/clopper_pearson_vw": (VW_CLOPPER_PEARSON, False), "cressie_read/cressie_read": ("cressie_read", False), "ips/cs": ("cs", False),
}
"""Each estimator/interval pair: the interval's name, and whether it is fed the reward model's predictions.
``clopper_pearson`` is the one ``wabbit evaluate`` builds (``scaled``), ``clopper_pearson_vw`` vw-estimators' formula."""
SEQUENCE = "ips/cs"
"""The pair whose interval is a confidence sequence: looked at after every event as well as at the end."""


@dataclass(frozen=True)
class Target:
    """A policy to evaluate on a run: its probability of each logged action and its true value."""

    p_pred: np.ndarray
    truth: float
    r_hat: np.ndarray | None = None
    """A reward model's prediction for each logged action (``None``: no model; DM, DR and switch-DR are left out)."""
    v_hat: np.ndarray | None = None
    """The model's value of this policy in each logged context."""


@dataclass(frozen=True)
class Run:
    """One seed's logged events: the logging policy's probability of each logged action, the rewards, and the
    targets to evaluate on them."""

    dataset: str
    p_log: np.ndarray
    reward: np.ndarray
    targets: dict[str, Target]
    reward_range: tuple[float, float] | None
    """The rewards' bounds when known; ``None``: unbounded (the intervals widen theirs as rewards come, as ``wabbit
    evaluate`` and the live observer do by default, and Clopper-Pearson, which cannot, is left out)."""


@dataclass
class Outcome:
    """What one target on one run gave."""

    dataset: str
    target: str
    covered: dict[str, bool] = field(default_factory=dict)
    width: dict[str, float] = field(default_factory=dict)
    always: bool | None = None
    """Whether the confidence sequence held the truth after every event (``None`` when not looked at)."""
    errors: dict[str, float] = field(default_factory=dict)
    """Point estimators: estimate minus truth."""


def _intervals(run: Run, target: Target) -> dict[str, Streaming]:
    low, high = run.reward_range or (0.0, 1.0)

    def build(kind: str) -> Streaming:
        if kind == VW_CLOPPER_PEARSON:
            return ClopperPearson(low, high)
        return build_interval(kind, low, high, empirical=run.reward_range is None)

    return {pair: build(kind) for pair, (kind, model) in PAIRS.items()
            if (not model or target.r_hat is not None) and (not kind.startswith("clopper_pearson") or run.reward_range is not None)}


def judge(run: Run, name: str, alpha: float = 0.05, every_event: bool = True) -> Outcome:
    """Feed target ``name`` of ``run`` event by event to every applicable interval and point estimator."""
    target = run.targets[name]
    intervals = _intervals(run, target)
    names = list(REGISTRY.kinds("estimators"))
    left_out = set(needing_a_reward_model(names)) if target.r_hat is None else set()
    estimators = {n: build_estimator(n) for n in names if n not in left_out}
    modelled = [i for pair, i in intervals.items() if PAIRS[pair][1]] + list(estimators.values())
    plain = [i for pair, i in intervals.items() if not PAIRS[pair][1]]
    sequence = intervals.get(SEQUENCE)
    assert isinstance(sequence, ConfidenceSequence)
    zeros = [0.0] * len(run.reward)
    r_hats = zeros if target.r_hat is None else target.r_hat.tolist()
    v_hats = zeros if target.v_hat is None else target.v_hat.tolist()
    always, truth = True, target.truth
    for p_log, r, p_pred, r_hat, v_hat in zip(run.p_log.tolist(), run.reward.tolist(), target.p_pred.tolist(), r_hats, v_hats):
        for interval in plain:
            interval.add_example(p_log, r, p_pred)  # type: ignore[attr-defined]
        for each in modelled:
            each.add_example(p_log, r, p_pred, r_hat=r_hat, v_hat=v_hat)  # type: ignore[attr-defined]
        if every_event and always:
            always = sequence.contains(truth, alpha)
    outcome = Outcome(run.dataset, name, always=always if every_event else None)
    for pair, interval in intervals.items():
        lower, upper = interval.get(alpha)  # type: ignore[attr-defined]
        outcome.covered[pair] = lower is not None and upper is not None and lower <= truth <= upper
        outcome.width[pair] = upper - lower if lower is not None and upper is not None else math.inf
    for n, estimator in estimators.items():
        estimate = estimator.get()  # type: ignore[attr-defined]
        outcome.errors[n] = estimate - truth if estimate is not None else math.nan
    return outcome


def judge_all(run: Run, alpha: float = 0.05, every_event: bool = True) -> list[Outcome]:
    """:func:`judge` for every target of ``run``."""
    return [judge(run, name, alpha, every_event) for name in run.targets]


def binomial_se(share: float, runs: int) -> float:
    """The standard error of a share measured over ``runs`` independent runs.

    >>> round(binomial_se(0.95, 200), 4)
    0.0154
    """
    return math.sqrt(share * (1 - share) / runs) if runs else math.nan


class Tally:
    """Outcomes summed per dataset, target and pair."""

    def __init__(self) -> None:
        self._covered: dict[tuple[str, str, str], list[bool]] = {}
        self._widths: dict[tuple[str, str, str], list[float]] = {}
        self._always: dict[tuple[str, str], list[bool]] = {}
        self._errors: dict[tuple[str, str, str], list[float]] = {}

    def add(self, outcomes: Iterable[Outcome]) -> None:
        for o in outcomes:
            for pair, covered in o.covered.items():
                self._covered.setdefault((o.dataset, o.target, pair), []).append(covered)
                self._widths.setdefault((o.dataset, o.target, pair), []).append(o.width[pair])
            if o.always is not None:
                self._always.setdefault((o.dataset, o.target), []).append(o.always)
            for estimator, error in o.errors.items():
                self._errors.setdefault((o.dataset, o.target, estimator), []).append(error)

    def rows(self) -> list[dict[str, Any]]:
        """Per dataset, target and pair: runs, coverage with its binomial standard error, mean width (of the runs
        that gave an interval; ``no_interval`` counts the others, e.g. Clopper-Pearson when no logged action had a
        weight, and they count as not covering); for the confidence sequence also the share of runs it held the
        truth after every event."""
        rows = []
        for (dataset, target, pair), covered in self._covered.items():
            runs, share = len(covered), sum(covered) / len(covered)
            widths = [w for w in self._widths[dataset, target, pair] if math.isfinite(w)]
            row: dict[str, Any] = {"dataset": dataset, "target": target, "pair": pair, "runs": runs, "coverage": share,
                                   "se": binomial_se(share, runs), "mean_width": float(np.mean(widths)) if widths else math.inf,
                                   "no_interval": runs - len(widths)}
            always = self._always.get((dataset, target)) if pair == SEQUENCE else None
            if always:
                row["always"] = sum(always) / len(always)
                row["always_se"] = binomial_se(row["always"], len(always))
            rows.append(row)
        return rows

    def errors(self) -> list[dict[str, Any]]:
        """Per dataset, target and point estimator: its bias and root mean squared error against the truth."""
        out = []
        for (dataset, target, estimator), errors in self._errors.items():
            e = np.array(errors)
            out.append({"dataset": dataset, "target": target, "estimator": estimator, "runs": len(e),
                        "bias": float(np.nanmean(e)), "rmse": float(np.sqrt(np.nanmean(e * e)))})
        return out

    def by_pair(self) -> dict[str, dict[str, Any]]:
        """Per pair over every dataset and target: the runs, the pooled coverage with its standard error, the lowest
        coverage of any dataset and target (and where), and for the sequence the pooled and lowest always-held share."""
        summary: dict[str, dict[str, Any]] = {}
        for row in self.rows():
            s = summary.setdefault(row["pair"], {"runs": 0, "covered": 0.0, "lowest": 1.0, "lowest_at": ""})
            s["runs"] += row["runs"]
            s["covered"] += row["coverage"] * row["runs"]
            if row["coverage"] < s["lowest"] or not s["lowest_at"]:
                s["lowest"], s["lowest_at"] = row["coverage"], f"{row['dataset']}/{row['target']}"
            if "always" in row:
                s["always_runs"] = s.get("always_runs", 0) + row["runs"]
                s["always_held"] = s.get("always_held", 0.0) + row["always"] * row["runs"]
                s["always_lowest"] = min(s.get("always_lowest", 1.0), row["always"])
        for s in summary.values():
            s["coverage"] = s.pop("covered") / s["runs"]
            s["se"] = binomial_se(s["coverage"], s["runs"])
            if "always_runs" in s:
                s["always"] = s.pop("always_held") / s.pop("always_runs")
        return summary
