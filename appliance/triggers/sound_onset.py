"""A sound onset: the audio level (``audio.rms`` by default) rising above a threshold; a clap, a voice.

>>> from appliance.config.triggers import SoundOnsetTriggerConfig
>>> t = SoundOnsetTrigger(SoundOnsetTriggerConfig(), "clap")
>>> t.fired({"audio": {"rms": 0.01}}, 0.0), t.fired({"audio": {"rms": 0.2}}, 0.5), t.stats()["type"]
(False, True, 'sound_onset')
"""

from __future__ import annotations

from appliance.triggers.threshold import ThresholdTrigger


class SoundOnsetTrigger(ThresholdTrigger):
    kind = "sound_onset"
