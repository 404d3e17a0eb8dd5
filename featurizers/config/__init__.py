"""Pydantic configs of sources and featurizers (``extra="forbid"``, bounds and descriptions)."""

from featurizers.config.featurizers import (
    AudioFeaturizerConfig,
    FaceFeaturizerConfig,
    FeaturizerConfig,
    PipelineConfig,
    VideoFeaturizerConfig,
)
from featurizers.config.sources import (
    AudioDeviceSourceConfig,
    AudioFileSourceConfig,
    MjpegSourceConfig,
    Picamera2SourceConfig,
    RtspSourceConfig,
    SourceConfig,
    SyntheticAudioSourceConfig,
    SyntheticVideoSourceConfig,
    V4l2SourceConfig,
    VideoFileSourceConfig,
    source_kind,
)

__all__ = [
    "AudioDeviceSourceConfig", "AudioFeaturizerConfig", "AudioFileSourceConfig", "FaceFeaturizerConfig",
    "FeaturizerConfig", "MjpegSourceConfig", "Picamera2SourceConfig", "PipelineConfig", "RtspSourceConfig",
    "SourceConfig", "SyntheticAudioSourceConfig", "SyntheticVideoSourceConfig", "V4l2SourceConfig",
    "VideoFeaturizerConfig", "VideoFileSourceConfig", "source_kind",
]
