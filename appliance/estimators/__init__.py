"""Off-policy estimators: the value of a policy from events another policy logged, streaming and mergeable,
with confidence intervals and confidence sequences (:mod:`appliance.estimators.base` says how to call them).

:data:`ESTIMATORS` and :data:`INTERVALS` name them for the command line, the config and checkpoints.

>>> sorted(ESTIMATORS), sorted(INTERVALS)
(['clipped_ips', 'cressie_read', 'dm', 'dr', 'ips', 'mle', 'snips', 'switch_dr'], ['clopper_pearson', 'cressie_read', 'cs', 'gaussian'])
"""

from typing import Any

from appliance.estimators.base import Estimator, EstimatorError, Interval, Streaming
from appliance.estimators.clipped_ips import ClippedIPS
from appliance.estimators.clopper_pearson import ClopperPearson
from appliance.estimators.confidence_sequence import ConfidenceSequence
from appliance.estimators.cressie_read import CressieRead
from appliance.estimators.cressie_read_interval import CressieReadInterval
from appliance.estimators.dm import DM
from appliance.estimators.dr import DR
from appliance.estimators.fake import RecordingEstimator
from appliance.estimators.gaussian import Gaussian
from appliance.estimators.ips import IPS
from appliance.estimators.mle import MLE
from appliance.estimators.snips import SNIPS
from appliance.estimators.switch_dr import SwitchDR

ESTIMATORS: dict[str, type[Streaming]] = {
    "ips": IPS, "snips": SNIPS, "clipped_ips": ClippedIPS, "dm": DM, "dr": DR, "switch_dr": SwitchDR, "mle": MLE,
    "cressie_read": CressieRead,
}
"""Point estimators by name."""
INTERVALS: dict[str, type[Streaming]] = {
    "gaussian": Gaussian, "clopper_pearson": ClopperPearson, "cressie_read": CressieReadInterval, "cs": ConfidenceSequence,
}
"""Intervals by name (``cs``: the off-policy confidence sequence, valid at every moment at once)."""
MODEL_BASED = frozenset({"dm", "dr", "switch_dr"})
"""Estimators that need the reward model's predictions (``r_hat``, ``v_hat``)."""


def restore(state: dict[str, Any]) -> Streaming:
    """The estimator or interval a :meth:`~Streaming.state` describes.

    >>> ips = IPS(); ips.add_example(0.5, 1.0, 0.5)
    >>> restore(ips.state()).get()
    1.0
    """
    kinds = {cls.__name__: cls for cls in (*ESTIMATORS.values(), *INTERVALS.values())}
    kind = kinds.get(state.get("type", ""))
    if kind is None:
        raise EstimatorError(f"unknown estimator state type {state.get('type')!r}; known: {', '.join(sorted(kinds))}")
    return kind.from_state(state)


__all__ = [
    "ESTIMATORS", "INTERVALS", "MODEL_BASED", "DM", "DR", "IPS", "MLE", "SNIPS", "ClippedIPS", "ClopperPearson", "ConfidenceSequence",
    "CressieRead", "CressieReadInterval", "Estimator", "EstimatorError", "Gaussian", "Interval", "RecordingEstimator", "Streaming",
    "SwitchDR", "restore",
]
