"""The ``Observer`` role: configured subscribers of the typed loop events (``observers:`` in the config).

Each one gets the events it asks for on a thread of its own, through a bounded queue (see
:mod:`appliance.bus`): it can be slow or fail without slowing or breaking the loop.
"""

from appliance.observers.base import Observer, ObserverHome, Observers
from appliance.observers.fake import RecordingObserver

__all__ = ["Observer", "ObserverHome", "Observers", "RecordingObserver"]
