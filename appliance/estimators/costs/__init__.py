"""Learning-time estimators: the reduction from bandit feedback (the chosen action, its cost and probability)
to a cost target for every action, done in Python and handed to VW's cost-sensitive ADF learner
(``--csoaa_ldf m --csoaa_rank``, what ``--cb_adf`` feeds inside VW). ``policy.cb_type: python:NAME`` picks
the module ``appliance/estimators/costs/NAME.py``: a new estimator is one file defining ``ESTIMATOR``.

>>> estimator = cost_estimator("ips")
>>> estimator.costs(chosen=1, cost=-1.0, probability=0.25, predicted=None)
[0.0, -4.0, 0.0]
>>> cost_estimator("magic")
Traceback (most recent call last):
...
appliance.estimators.base.EstimatorError: no cost estimator 'magic': there is no appliance/estimators/costs/magic.py; known: dm, dr, ips, mtr
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Protocol, Sequence

from appliance.estimators.base import EstimatorError


class CostEstimator(Protocol):
    """Turns one event's bandit feedback into cost targets for the actions VW learns from."""

    needs_predictions: bool
    """Whether :meth:`costs` needs the learner's predicted costs of the actions (before it learns the event)."""
    only_chosen: bool
    """Whether VW learns from the chosen action alone (the others are left out of the example)."""

    def costs(self, chosen: int, cost: float, probability: float, predicted: Sequence[float] | None, n: int = 3) -> list[float]:
        """The cost target of each of the ``n`` actions (of the chosen one alone when :attr:`only_chosen`)."""
        ...


def known() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__))


def cost_estimator(name: str) -> CostEstimator:
    """The estimator of ``appliance/estimators/costs/<name>.py``."""
    if name not in known():
        raise EstimatorError(f"no cost estimator {name!r}: there is no appliance/estimators/costs/{name}.py; known: {', '.join(known())}")
    estimator: CostEstimator = importlib.import_module(f"{__name__}.{name}").ESTIMATOR()
    return estimator
