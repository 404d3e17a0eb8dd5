"""Pydantic configs of sources and featurizers (``extra="forbid"``, bounds and descriptions)."""

from featurizers.config.featurizers import (
    AudioFeaturizerConfig,
    FaceFeaturizerConfig,
    FeaturizerConfig,
    FeaturizerConfigBase,
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
    SourceConfigBase,
    SyntheticAudioSourceConfig,
    SyntheticVideoSourceConfig,
    V4l2SourceConfig,
    VideoFileSourceConfig,
)

__all__ = [
    "AudioDeviceSourceConfig", "AudioFeaturizerConfig", "AudioFileSourceConfig", "FaceFeaturizerConfig",
    "FeaturizerConfig", "FeaturizerConfigBase", "MjpegSourceConfig", "Picamera2SourceConfig", "PipelineConfig", "RtspSourceConfig",
    "SourceConfig", "SourceConfigBase", "SyntheticAudioSourceConfig", "SyntheticVideoSourceConfig", "V4l2SourceConfig",
    "VideoFeaturizerConfig", "VideoFileSourceConfig"
]
