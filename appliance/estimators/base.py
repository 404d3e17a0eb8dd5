"""What an off-policy estimator is: it takes logged bandit events one at a time and estimates the value (the
average reward) another policy would have earned on them.

Every estimator and interval takes the calls of vw-estimators, so code written for it ports:
``add_example(p_log, r, p_pred, count=1)`` with the logging policy's probability of the logged action, the
reward and the evaluated policy's probability of that same action; ``get()`` (an estimator) or
``get(alpha)`` (an interval, ``[lower, upper]`` at confidence ``1 - alpha``). The keyword-only extras are
``p_drop``/``n_drop`` (events the logger dropped, as vw-estimators' intervals take them) and, for the
model-based estimators (DM, DR, switch-DR), ``r_hat`` (the reward model's prediction for the logged action)
and ``v_hat`` (the model's value of the evaluated policy in this context: the sum over actions of
``p_pred(a) * r_hat(a)``). With ``r_hat = v_hat = 0`` DR is IPS.

Each one is streaming (constant memory, except MLE, which keeps one count per distinct weight and reward),
mergeable (``a + b`` estimates from both streams) and checkpointable (``state()`` is JSON,
``from_state(state)`` restores it).

>>> from appliance.estimators import IPS
>>> a, b = IPS(), IPS()
>>> a.add_example(0.5, 1.0, 1.0); b.add_example(0.25, 0.0, 0.5, count=3)
>>> (a + b).get(), IPS.from_state((a + b).state()).get()
(0.5, 0.5)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from appliance.errors import WabbitError


class EstimatorError(WabbitError, ValueError):
    """A logged event or an estimator's argument cannot be used (the message says which and why)."""


T = TypeVar("T", bound="Streaming")


def weigh(p_log: float, r: float, p_pred: float, count: float, p_drop: float, n_drop: float | None) -> tuple[float, float]:
    """The importance weight ``p_pred / (p_log (1 - p_drop))`` and the number of events the example stands for
    (``count`` times itself and the dropped ones before it), once the event is usable (a finite reward ``r``, and
    probabilities in their ranges): every estimator and interval checks its events here.

    >>> weigh(0.5, 1.0, 0.25, 1, 0.0, None), weigh(0.5, 0.0, 0.5, 2, 0.5, None)
    ((0.5, 1.0), (2.0, 4.0))
    >>> weigh(0.0, 1.0, 1.0, 1, 0.0, None)
    Traceback (most recent call last):
    ...
    appliance.estimators.base.EstimatorError: p_log 0.0 must be in (0, 1]: the logging policy's probability of the logged action
    >>> weigh(0.5, float("nan"), 1.0, 1, 0.0, None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.estimators.base.EstimatorError: reward nan is not a finite number: it would make every estimate nan ...
    """
    if r - r != 0.0:  # nan and the infinities (cheaper than math.isfinite on the live observer's path)
        raise EstimatorError(f"reward {r!r} is not a finite number: it would make every estimate nan (or infinite); drop the event "
                             "or give it a reward")
    if not 0.0 < p_log <= 1.0:
        raise EstimatorError(f"p_log {p_log!r} must be in (0, 1]: the logging policy's probability of the logged action")
    if not 0.0 <= p_pred <= 1.0:
        raise EstimatorError(f"p_pred {p_pred!r} must be in [0, 1]: the evaluated policy's probability of the logged action, "
                             "not an importance weight")
    if not 0.0 <= p_drop < 1.0:
        raise EstimatorError(f"p_drop {p_drop!r} must be in [0, 1): the probability that the logger dropped an event")
    return p_pred / (p_log * (1.0 - p_drop)), count * (1.0 + dropped_per_event(p_drop, n_drop))


def check_alpha(alpha: float) -> None:
    """Nothing if ``alpha`` (1 - the confidence of an interval) is in (0, 1); else an :class:`EstimatorError` saying so.

    >>> check_alpha(0.05)
    >>> check_alpha(0.0)
    Traceback (most recent call last):
    ...
    appliance.estimators.base.EstimatorError: alpha 0.0 must be in (0, 1): 1 - the interval's confidence (0.05 for 95%)
    """
    if not 0.0 < alpha < 1.0:
        raise EstimatorError(f"alpha {alpha!r} must be in (0, 1): 1 - the interval's confidence (0.05 for 95%)")


_PREDICTIONS = {"r_hat": "the reward model's prediction for the logged action",
                "v_hat": "the reward model's value of the evaluated policy in this context"}


def check_predictions(predictions: Mapping[str, float | None]) -> None:
    """Nothing if each of the reward model's predictions given (``r_hat``, ``v_hat``; ``None`` when not given) is a
    finite number; else an :class:`EstimatorError` saying which is not: a model-based estimate would be nan.

    >>> check_predictions({"r_hat": 0.5, "v_hat": None})
    >>> check_predictions({"r_hat": 0.5, "v_hat": float("nan")})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.estimators.base.EstimatorError: v_hat nan (the reward model's value of the evaluated policy in this context) ...
    """
    for name, value in predictions.items():
        if value is not None and value - value != 0.0:  # nan and the infinities, as weigh checks the reward
            raise EstimatorError(f"{name} {value!r} ({_PREDICTIONS[name]}) is not a finite number: it would make every "
                                 "model-based estimate nan (or infinite); check the reward model, or drop the event")


def dropped_per_event(p_drop: float, n_drop: float | None) -> float:
    """The dropped events one logged event stands for besides itself: ``n_drop``, or ``p_drop / (1 - p_drop)``
    when only that is given (as :func:`weigh` counts them).

    >>> dropped_per_event(0.5, None), dropped_per_event(0.0, 3.0)
    (1.0, 3.0)
    """
    return p_drop / (1.0 - p_drop) if n_drop is None else n_drop


def batch_weights(p_log: Any, r: Any, p_pred: Any, p_drop: Any = None) -> Any:
    """The importance weights ``p_pred / (p_log (1 - p_drop))`` of a batch of events (numpy arrays; ``p_drop`` ``None``
    when nothing was dropped), once every reward ``r`` is finite, every ``p_log`` in (0, 1], every ``p_pred`` in [0, 1]
    and every ``p_drop`` in [0, 1) (as :func:`weigh` checks one event)."""
    if not bool(np.isfinite(r).all()):
        raise EstimatorError(f"reward {float(r[~np.isfinite(r)][0])!r} of the batch is not a finite number: it would make every estimate "
                             "nan (or infinite); drop those events or give them rewards")
    if not (bool((p_log > 0.0).all()) and bool((p_log <= 1.0).all()) and bool((p_pred >= 0.0).all()) and bool((p_pred <= 1.0).all())):
        raise EstimatorError("p_log must be in (0, 1] and p_pred in [0, 1] for every event of the batch: the logging and the "
                             "evaluated policies' probabilities of the logged action")
    if p_drop is None:
        return p_pred / p_log
    if not (bool((p_drop >= 0.0).all()) and bool((p_drop < 1.0).all())):
        raise EstimatorError("p_drop must be in [0, 1) for every event of the batch: the probability that an event was dropped")
    return p_pred / (p_log * (1.0 - p_drop))


def batch_dropped(p_drop: Any, n_drop: Any) -> Any:
    """The dropped events each event of a batch stands for besides itself (``n_drop``, or ``p_drop / (1 - p_drop)``
    when only that is given, as :func:`weigh` takes them); ``None`` when neither is given.

    >>> import numpy as np
    >>> batch_dropped(np.array([0.0, 0.5]), None).tolist(), batch_dropped(None, np.array([3.0])).tolist(), batch_dropped(None, None)
    ([0.0, 1.0], [3.0], None)
    """
    if n_drop is not None:
        return n_drop
    return None if p_drop is None else p_drop / (1.0 - p_drop)


def batch_events(r: Any, p_drop: Any, n_drop: Any) -> float:
    """The events a batch stands for: each of its own, and the dropped ones (:func:`batch_dropped`)."""
    dropped = batch_dropped(p_drop, n_drop)
    return len(r) + (float(dropped.sum()) if dropped is not None else 0.0)


class Streaming:
    """State kept as named numbers: ``SUMS`` add up when two estimators merge, ``MAXES`` and ``MINS`` take the
    larger and the smaller. Constructor arguments come back from :meth:`params` (merging needs them equal)."""

    SUMS: ClassVar[tuple[str, ...]] = ()
    MAXES: ClassVar[tuple[str, ...]] = ()
    MINS: ClassVar[tuple[str, ...]] = ()

    def params(self) -> dict[str, Any]:
        """The constructor's arguments."""
        return {}

    def add_examples(self, p_log: Any, r: Any, p_pred: Any, p_drop: Any = None, n_drop: Any = None) -> None:
        """The events of a batch (numpy arrays, each counted once; ``p_drop``, ``n_drop`` arrays too, or ``None`` when
        nothing was dropped) in order: here each through ``add_example``; the kinds the live observer offers (IPS, clipped
        IPS, SNIPS, the confidence sequence, Gaussian, Cressie-Read, Clopper-Pearson) take it vectorised (the same sums, up
        to rounding). An unusable event refuses the whole batch before any is added."""
        batch_weights(p_log, r, p_pred, p_drop)
        if p_drop is None and n_drop is None:
            for p, reward, q in zip(p_log.tolist(), r.tolist(), p_pred.tolist()):
                self.add_example(p, reward, q)  # type: ignore[attr-defined]
            return
        drops = p_drop.tolist() if p_drop is not None else [0.0] * len(r)
        dropped = n_drop.tolist() if n_drop is not None else [None] * len(r)
        for p, reward, q, pd, nd in zip(p_log.tolist(), r.tolist(), p_pred.tolist(), drops, dropped):
            self.add_example(p, reward, q, p_drop=pd, n_drop=nd)  # type: ignore[attr-defined]

    def _fields(self) -> tuple[str, ...]:
        return self.SUMS + self.MAXES + self.MINS

    @classmethod
    def from_config(cls: type[T], config: Any) -> T:
        """A fresh one with the arguments its registry config holds (every field but ``type``), as the
        registry's roles ``estimators`` and ``intervals`` build it."""
        return cls(**{name: value for name, value in config if name != "type"})

    def state(self) -> dict[str, Any]:
        """Everything this estimator knows, as JSON-able values (infinities as strings)."""
        return {"type": type(self).__name__, "params": _json(self.params()), **{f: _json(getattr(self, f)) for f in self._fields()}}

    @classmethod
    def from_state(cls: type[T], state: dict[str, Any]) -> T:
        """An estimator that goes on from ``state`` (what :meth:`state` returned)."""
        if state.get("type") != cls.__name__:
            raise EstimatorError(f"a {state.get('type')!r} state cannot restore a {cls.__name__}")
        restored = cls(**_unjson(state.get("params", {})))
        try:
            for name in restored._fields():
                setattr(restored, name, _unjson(state[name]))
        except KeyError as err:
            raise EstimatorError(f"the {cls.__name__} state lacks {err}; was it written by another version?") from None
        return restored

    def __add__(self: T, other: T) -> T:
        if type(other) is not type(self) or other.params() != self.params():
            raise EstimatorError(f"only estimators of one kind with the same arguments merge: {self!r} + {other!r}")
        merged = type(self).from_state(self.state())
        merged._merge(other)
        return merged

    def _merge(self, other: Any) -> None:
        for name in self.SUMS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in self.MAXES:
            setattr(self, name, max(getattr(self, name), getattr(other, name)))
        for name in self.MINS:
            setattr(self, name, min(getattr(self, name), getattr(other, name)))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


def _json(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    return value


def _unjson(value: Any) -> Any:
    if value in ("inf", "-inf"):
        return float(value)
    if isinstance(value, dict):
        return {k: _unjson(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unjson(v) for v in value]
    return value


class Estimator(Protocol):
    """A point estimate of a policy's value from logged events."""

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None: ...

    def get(self) -> float | None:
        """The estimate; ``None`` before any event."""
        ...

    def state(self) -> dict[str, Any]: ...


class Interval(Protocol):
    """An interval around a policy's value that holds with probability at least ``1 - alpha``."""

    def add_example(self, p_log: float, r: float, p_pred: float, count: float = 1, *, p_drop: float = 0.0,
                    n_drop: float | None = None, r_hat: float = 0.0, v_hat: float = 0.0) -> None: ...

    def get(self, alpha: float = 0.05) -> list[float | None]:
        """``[lower, upper]``; ``[None, None]`` while there is too little data."""
        ...

    def state(self) -> dict[str, Any]: ...
