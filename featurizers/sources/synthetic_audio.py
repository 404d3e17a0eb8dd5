"""Synthetic audio: seeded tone bursts over white noise, the shipped fake audio source.

>>> from featurizers.config import SyntheticAudioSourceConfig
>>> src = SyntheticAudioSource(SyntheticAudioSourceConfig(id="fake", realtime=False, window_seconds=0.2))
>>> src.start()
>>> w = src.read(timeout=5.0)
>>> src.stop()
>>> (w.rate, len(w.samples), 0.0 < float(abs(w.samples).max()) <= 1.0)
(16000, 3200, True)
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from featurizers.config.sources import SyntheticAudioSourceConfig
from featurizers.sources.audio_base import AudioSource


class SyntheticAudioSource(AudioSource):
    """0.25 s tone bursts every 0.5 s at ``tone_hz`` plus noise; paced at real time unless not."""

    type: ClassVar[str] = "synthetic_audio"

    def __init__(self, config: SyntheticAudioSourceConfig) -> None:
        super().__init__(config, lossless=not config.realtime)
        self.synth = config

    def _stream(self) -> bool:
        rng = np.random.default_rng(self.synth.seed)
        block = max(1, self.rate // 20)
        n = 0
        start = time.monotonic()
        self._reset_ring()
        while not self._stop.is_set():
            t = (n + np.arange(block)) / self.rate
            on = (t % 0.5) < 0.25
            x = 0.5 * np.sin(2 * np.pi * self.synth.tone_hz * t) * on
            x = x + self.synth.noise * rng.standard_normal(block)
            self._emit(np.clip(x, -1.0, 1.0).astype(np.float32))
            n += block
            if self.synth.realtime:
                self._stop.wait(max(0.0, start + n / self.rate - time.monotonic()))
        return False
