"""Off-policy estimators: the value of a policy from events another policy logged, streaming and mergeable,
with confidence intervals and confidence sequences (:mod:`appliance.estimators.base` says how to call them).

They are the roles ``estimators`` and ``intervals`` of the one registry (:mod:`appliance.registry`), which
names them for the command line, the config and checkpoints; a package adds kinds through the entry point
groups ``wabbit.estimators`` and ``wabbit.intervals``. :mod:`appliance.estimators.value` builds them by name.

>>> from appliance.registry import REGISTRY
>>> sorted(REGISTRY.kinds("estimators")), sorted(REGISTRY.kinds("intervals"))
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
from appliance.estimators.fake import RecordingEstimator, RecordingInterval
from appliance.estimators.gaussian import Gaussian
from appliance.estimators.ips import IPS
from appliance.estimators.mle import MLE
from appliance.estimators.snips import SNIPS
from appliance.estimators.switch_dr import SwitchDR
from appliance.registry import REGISTRY


def restore(state: dict[str, Any]) -> Streaming:
    """The estimator or interval a :meth:`~Streaming.state` describes (its class is a registered kind's).

    >>> ips = IPS(); ips.add_example(0.5, 1.0, 0.5)
    >>> restore(ips.state()).get()
    1.0
    """
    classes: dict[str, Any] = {}
    for role in ("estimators", "intervals"):
        for kind in REGISTRY.kinds(role).values():
            implementation = kind.implementation_class()
            classes.setdefault(getattr(implementation, "__name__", kind.name), implementation)
    found = classes.get(state.get("type", ""))
    if found is None:
        raise EstimatorError(f"unknown estimator state type {state.get('type')!r}; known: {', '.join(sorted(classes))}. Was it "
                             "written by a plug-in that is no longer installed (entry point groups wabbit.estimators, wabbit.intervals)?")
    restored: Streaming = found.from_state(state)
    return restored


__all__ = [
    "DM", "DR", "IPS", "MLE", "SNIPS", "ClippedIPS", "ClopperPearson", "ConfidenceSequence", "CressieRead",
    "CressieReadInterval", "Estimator", "EstimatorError", "Gaussian", "Interval", "RecordingEstimator", "RecordingInterval",
    "Streaming", "SwitchDR", "restore",
]
