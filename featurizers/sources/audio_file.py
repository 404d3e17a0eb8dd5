"""An audio file (WAV, FLAC, anything FFmpeg decodes) through PyAV, resampled to mono at the
featurizer rate by FFmpeg's libswresample."""

from __future__ import annotations

import itertools
import os
import time
from typing import Any, ClassVar

import numpy as np

from featurizers.config.sources import AudioFileSourceConfig
from featurizers.errors import DeviceNotFoundError
from featurizers.sources._pyav import import_av
from featurizers.sources.audio_base import AudioSource


class AudioFileSource(AudioSource):
    """Plays a file into windows; ``realtime=False`` hands over every window (no drops)."""

    type: ClassVar[str] = "audio_file"

    def __init__(self, config: AudioFileSourceConfig) -> None:
        super().__init__(config, lossless=not config.realtime)
        self.file_config = config
        if not os.path.isfile(config.path):
            raise DeviceNotFoundError(f"audio file {config.path!r} not found; check the path")
        self._container: Any = None

    def _open(self) -> None:
        av = import_av()
        self._container = av.open(self.file_config.path)
        if not self._container.streams.audio:
            raise DeviceNotFoundError(f"{self.file_config.path!r} has no audio stream")

    def _stream(self) -> bool:
        av = import_av()
        container = self._container
        resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
        self._reset_ring()
        start, n = time.monotonic(), 0
        for frame in itertools.chain(container.decode(audio=0), [None]):
            if self._stop.is_set():
                return False
            for out in resampler.resample(frame):
                block = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                self._emit(block)
                n += len(block)
                if self.file_config.realtime and self._stop.wait(max(0.0, start + n / self.rate - time.monotonic())):
                    return False
        return self.file_config.loop

    def _close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None
