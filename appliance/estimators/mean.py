"""Estimators that average one value per event: IPS, clipped IPS, DM, DR and switch-DR differ only in that value.

>>> from appliance.estimators import DR
>>> dr = DR()
>>> dr.add_example(0.5, 1.0, 1.0, r_hat=0.5, v_hat=0.75)  # 0.75 + (1.0 / 0.5) * (1.0 - 0.5)
>>> dr.get()
1.75
"""

from __future__ import annotations

from typing import Any, ClassVar

from appliance.estimators.base import EstimatorError, Streaming, check_predictions, dropped_per_event, weigh


class MeanEstimator(Streaming):
    """The average of :meth:`value` over the events (each counted ``count`` times, dropped ones as zeros: the importance
    weight and the model's value ``v_hat`` given to :meth:`value` carry them)."""

    SUMS = ("n", "total")
    NEEDS: ClassVar[tuple[str, ...]] = ()
    """The reward model's predictions each event must bring (``r_hat``, ``v_hat``): DM's and DR's."""

    def __init__(self) -> None:
        self.n = 0.0
        self.total = 0.0

    def value(self, w: float, r: float, r_hat: float, v_hat: float) -> float:
        """One event's term, from the importance weight ``w``, the reward and the reward model's predictions."""
        raise NotImplementedError

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float | None = None, v_hat: float | None = None) -> None:
        w, n = weigh(p_log, r, p_pred, count, p_drop, n_drop)
        if self.NEEDS and (v_hat is None or r_hat is None and "r_hat" in self.NEEDS):
            raise EstimatorError(f"{type(self).__name__} needs the reward model's predictions with every event: add_example(p_log, "
                                 f"r, p_pred, {'=..., '.join(self.NEEDS)}=...), where r_hat is the model's reward of the logged "
                                 "action and v_hat its value of the evaluated policy (its rewards weighted by the policy's pmf)")
        check_predictions({"r_hat": r_hat if "r_hat" in self.NEEDS else None, "v_hat": v_hat if "v_hat" in self.NEEDS else None})
        r_hat, v_hat = r_hat or 0.0, v_hat or 0.0
        self.n += n
        # the model's value stands for the dropped events too (their contexts unseen: like this one), as w does for the
        # weighted part; counted once, a share p_drop of DM's value went missing
        self.total += count * self.value(w, r, r_hat, v_hat * (1.0 + dropped_per_event(p_drop, n_drop)))

    def _add_terms(self, terms: Any, events: float) -> None:
        """A batch's terms (a numpy array, one per event), as ``add_example`` adds them one by one; they stand for
        ``events`` (:func:`~appliance.estimators.base.batch_events`)."""
        self.n += events
        self.total += float(terms.sum())

    def get(self) -> float | None:
        return self.total / self.n if self.n > 0 else None
