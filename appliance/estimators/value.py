"""One policy's value from logged events, by several estimators and intervals at once: what ``wabbit
evaluate`` prints for each candidate and the live observer keeps for the online policy and its baselines.

>>> value = PolicyValue(estimators=("ips", "snips"), intervals=("gaussian",))
>>> for r in (1.0, 0.0, 1.0, 1.0): value.add_example(p_log=0.5, r=r, p_pred=0.5)
>>> summary = value.summary(alpha=0.05)
>>> summary["events"], summary["estimates"], [round(b, 3) for b in summary["intervals"]["gaussian"]]
(4.0, {'ips': 0.75, 'snips': 0.75}, [0.26, 1.24])
>>> PolicyValue.from_state(value.state()).summary(0.05) == summary
True
"""

from __future__ import annotations

from typing import Any, Sequence

from appliance.estimators import EstimatorError, Streaming, restore
from appliance.estimators.base import check_predictions
from appliance.registry import REGISTRY


def build_estimator(name: str) -> Streaming:
    """The point estimator of kind ``name`` with its config's defaults (an unknown name is a
    :class:`~appliance.registry.UnknownKindError` naming the known kinds and the installed plug-ins)."""
    built: Streaming = REGISTRY.build("estimators", REGISTRY.kind("estimators", name).config_class()())
    return built


def build_interval(name: str, rmin: float, rmax: float, empirical: bool) -> Streaming:
    """The interval ``name`` for rewards in [``rmin``, ``rmax``] (widened as they come if ``empirical``, where
    the interval can), for the kinds whose config has these fields; the other fields keep their defaults
    (Clopper-Pearson's is the ``scaled`` one, which holds where vw-estimators' under-covers)."""
    config_class = REGISTRY.kind("intervals", name).config_class()
    given = {"rmin": rmin, "rmax": rmax, "empirical_r_bounds": empirical}
    built: Streaming = REGISTRY.build("intervals", config_class(**{k: v for k, v in given.items() if k in config_class.model_fields}))
    return built


def needing_a_reward_model(estimators: Sequence[str]) -> list[str]:
    """Those of ``estimators`` that need the reward model's predictions (DM, DR, switch-DR).

    >>> needing_a_reward_model(["ips", "dr", "switch_dr"])
    ['dr', 'switch_dr']
    """
    return [name for name in estimators if getattr(REGISTRY.kind("estimators", name).config_class(), "needs_reward_model", False)]


class PolicyValue:
    """Estimators and intervals fed the same events. ``r_hat``/``v_hat`` reach the model-based estimators (DM,
    DR, switch-DR) and the intervals: the Gaussian one is then around DR (``wabbit evaluate`` with a reward model),
    the others are around IPS (or Cressie-Read's reweighting of it) whatever is given."""

    def __init__(self, estimators: Sequence[str] = ("ips", "snips"), intervals: Sequence[str] = ("cressie_read",),
                 rmin: float = 0.0, rmax: float = 1.0, empirical_r_bounds: bool = True) -> None:
        self.estimators = {name: build_estimator(name) for name in estimators}
        self.intervals = {name: build_interval(name, rmin, rmax, empirical_r_bounds) for name in intervals}
        self.events = 0.0
        self._all: list[Any] = [*self.estimators.values(), *self.intervals.values()]

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float | None = None, v_hat: float | None = None) -> None:
        model = {} if r_hat is None or v_hat is None else {"r_hat": r_hat, "v_hat": v_hat}  # DM and DR refuse an event without them
        check_predictions(model)  # before any estimator counts the event
        for estimator in self._all:
            estimator.add_example(p_log, r, p_pred, count, p_drop=p_drop, n_drop=n_drop, **model)
        self.events += count  # once every estimator took the event (the first refuses an unusable one)

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        """A batch of events (numpy arrays, each counted once; ``p_drop``, ``n_drop`` arrays too, or ``None`` when
        nothing was dropped), as :meth:`add_example` takes them one by one (vectorised where the estimator or interval
        can: the same sums, up to rounding)."""
        for estimator in self._all:
            estimator.add_examples(p_log, r, p_pred, p_drop, n_drop)
        self.events += len(r)

    def summary(self, alpha: float = 0.05) -> dict[str, Any]:
        """``{"events", "estimates": {name: value}, "intervals": {name: [lower, upper]}}`` at confidence ``1 - alpha``."""
        return {"events": self.events, "estimates": {n: e.get() for n, e in self.estimators.items()},  # type: ignore[attr-defined]
                "intervals": {n: i.get(alpha) for n, i in self.intervals.items()}}  # type: ignore[attr-defined]

    def state(self) -> dict[str, Any]:
        return {"events": self.events, "estimators": {n: e.state() for n, e in self.estimators.items()},
                "intervals": {n: i.state() for n, i in self.intervals.items()}}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PolicyValue:
        value = cls(estimators=(), intervals=())
        value.events = float(state.get("events", 0.0))
        value.estimators = {n: restore(s) for n, s in state.get("estimators", {}).items()}
        value.intervals = {n: restore(s) for n, s in state.get("intervals", {}).items()}
        value._all = [*value.estimators.values(), *value.intervals.values()]
        return value

    def __add__(self, other: PolicyValue) -> PolicyValue:
        if self.estimators.keys() != other.estimators.keys() or self.intervals.keys() != other.intervals.keys():
            raise EstimatorError("only policy values with the same estimators and intervals merge")
        merged = PolicyValue.from_state(self.state())
        merged.events += other.events
        merged.estimators = {n: e + other.estimators[n] for n, e in self.estimators.items()}
        merged.intervals = {n: i + other.intervals[n] for n, i in self.intervals.items()}
        merged._all = [*merged.estimators.values(), *merged.intervals.values()]
        return merged
