"""Factories: config ``type`` -> implementation, imported only when built (keeps imports fast).

>>> from featurizers.config import SyntheticVideoSourceConfig, VideoFeaturizerConfig
>>> type(build_source(SyntheticVideoSourceConfig(id="cam"))).__name__
'SyntheticVideoSource'
>>> build_featurizer(VideoFeaturizerConfig(source="cam")).namespace
'video'
"""

from __future__ import annotations

import importlib
from typing import Any

from featurizers.config import FeaturizerConfig, SourceConfig
from featurizers.errors import SpecError
from featurizers.protocols import Featurizer, Source

SOURCE_TYPES: dict[str, str] = {
    "audio_device": "featurizers.sources.audio_device:AudioDeviceSource",
    "audio_file": "featurizers.sources.audio_file:AudioFileSource",
    "synthetic_audio": "featurizers.sources.synthetic_audio:SyntheticAudioSource",
    "video_file": "featurizers.sources.video_file:VideoFileSource",
    "v4l2": "featurizers.sources.v4l2:V4l2Source",
    "mjpeg": "featurizers.sources.mjpeg:MjpegSource",
    "rtsp": "featurizers.sources.rtsp:RtspSource",
    "picamera2": "featurizers.sources.picamera2:Picamera2Source",
    "synthetic_video": "featurizers.sources.synthetic_video:SyntheticVideoSource",
}

FEATURIZER_TYPES: dict[str, str] = {
    "audio": "featurizers.audio.features:AudioFeaturizer",
    "video": "featurizers.video.features:VideoFeaturizer",
    "face": "featurizers.tflite.face:FaceFeaturizer",
}


def _load(table: dict[str, str], key: str, role: str) -> Any:
    if key not in table:
        raise SpecError(f"unknown {role} type {key!r}; known: {', '.join(sorted(table))}")
    module, _, name = table[key].partition(":")
    return getattr(importlib.import_module(module), name)


def build_source(config: SourceConfig, **inject: Any) -> Source:
    """The source for ``config``; ``inject`` passes test doubles (e.g. ``picamera2_module=``)."""
    source: Source = _load(SOURCE_TYPES, config.type, "source")(config, **inject)
    return source


def build_featurizer(config: FeaturizerConfig, **inject: Any) -> Featurizer:
    """The featurizer for ``config``; ``inject`` passes backends (e.g. ``interpreter_factory=``)."""
    featurizer: Featurizer = _load(FEATURIZER_TYPES, config.type, "featurizer")(config, **inject)
    return featurizer
