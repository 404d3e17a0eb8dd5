"""Raspberry Wabbit featurizers: capture sources and featurizers that turn audio, video and NPU
outputs into Vowpal Wabbit namespaces. Usable on its own (a notebook, another program) and inside the
appliance daemon. Heavy libraries (sounddevice, PyAV, LiteRT, picamera2) load only when used.

>>> from featurizers import PipelineConfig, parse_source_spec
>>> parse_source_spec("audio:default").type
'audio_device'
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from featurizers.config import (
    AudioDeviceSourceConfig,
    AudioFeaturizerConfig,
    AudioFileSourceConfig,
    FaceFeaturizerConfig,
    FeaturizerConfig,
    MjpegSourceConfig,
    Picamera2SourceConfig,
    PipelineConfig,
    RtspSourceConfig,
    SourceConfig,
    SyntheticAudioSourceConfig,
    SyntheticVideoSourceConfig,
    V4l2SourceConfig,
    VideoFeaturizerConfig,
    VideoFileSourceConfig,
)
from featurizers.errors import (
    BackendUnavailableError,
    CaptureError,
    DeviceNotFoundError,
    FeaturizerError,
    ModelError,
    SpecError,
)

if TYPE_CHECKING:
    from featurizers.pipeline import Pipeline, Result
    from featurizers.protocols import Featurizer, Source
    from featurizers.registry import build_featurizer, build_source
    from featurizers.samples import AudioWindow, VideoFrame
    from featurizers.spec import check_available, parse_source_spec

# These pull in numpy: they load on first use, so importing the config types (as the appliance's config
# does at start-up) stays light.
_LAZY = {
    "Pipeline": "pipeline", "Result": "pipeline", "Featurizer": "protocols", "Source": "protocols",
    "build_featurizer": "registry", "build_source": "registry", "AudioWindow": "samples", "VideoFrame": "samples",
    "check_available": "spec", "parse_source_spec": "spec",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'featurizers' has no attribute {name!r}")
    return getattr(import_module(f"featurizers.{module}"), name)

__all__ = [
    "AudioDeviceSourceConfig", "AudioFeaturizerConfig", "AudioFileSourceConfig", "AudioWindow",
    "BackendUnavailableError", "CaptureError", "DeviceNotFoundError", "FaceFeaturizerConfig", "Featurizer",
    "FeaturizerConfig", "FeaturizerError", "MjpegSourceConfig", "ModelError", "Picamera2SourceConfig",
    "Pipeline", "PipelineConfig", "Result", "RtspSourceConfig", "Source", "SourceConfig", "SpecError",
    "SyntheticAudioSourceConfig", "SyntheticVideoSourceConfig", "V4l2SourceConfig", "VideoFeaturizerConfig",
    "VideoFileSourceConfig", "VideoFrame", "build_featurizer", "build_source", "check_available",
    "parse_source_spec",
]
