"""What audio sources share: the window ring at the featurizer rate and window publishing."""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from featurizers.config.sources import AudioDeviceSourceConfig, AudioFileSourceConfig, Kind, SyntheticAudioSourceConfig
from featurizers.samples import AudioWindow
from featurizers.sources.base import ThreadedSource
from featurizers.sources.ring import AudioRing

AudioConfig = AudioDeviceSourceConfig | AudioFileSourceConfig | SyntheticAudioSourceConfig


class AudioSource(ThreadedSource):
    """A source of overlapping :class:`AudioWindow` s at ``config.rate``."""

    kind: ClassVar[Kind] = "audio"

    def __init__(self, config: AudioConfig, *, lossless: bool = False) -> None:
        super().__init__(config.id, backoff_min=config.backoff_min_seconds,
                         backoff_max=config.backoff_max_seconds, lossless=lossless)
        self.config = config
        self.rate = config.rate
        self._window = max(1, round(config.window_seconds * config.rate))
        self._hop = max(1, round(config.hop_seconds * config.rate))
        self._ring = AudioRing(self._window, self._hop)

    def _reset_ring(self) -> None:
        self._ring = AudioRing(self._window, self._hop)

    def _emit(self, block: npt.NDArray[np.float32]) -> None:
        """Push samples at ``self.rate``; publish every completed window."""
        for samples in self._ring.push(block):
            self._publish(AudioWindow(samples=samples, rate=self.rate, timestamp=time.time(),
                                      seq=self._next_seq()))
