"""Motion in front of a camera: ``video.motion`` (mean luma change between frames) above a threshold.

By default it fires while there is motion, at most once per ``min_interval_s`` (5 s).

>>> from appliance.config.triggers import MotionTriggerConfig
>>> t = MotionTrigger(MotionTriggerConfig(threshold=0.02), "door")
>>> [t.fired({"video": {"motion": 0.05}}, now) for now in (0.0, 1.0, 5.0)], t.count
([True, False, True], 2)
"""

from __future__ import annotations

from appliance.triggers.threshold import ThresholdTrigger


class MotionTrigger(ThresholdTrigger):
    kind = "motion"
