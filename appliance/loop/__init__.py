"""The closed loop: :class:`Loop` (decide, reward, tick) over its journal, learner and recovery."""

from appliance.loop.core import Loop, new_event_id, summary

__all__ = ["Loop", "new_event_id", "summary"]
