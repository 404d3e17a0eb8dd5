"""Featurizer configs joined in ``FeaturizerConfig`` on ``type``, and ``PipelineConfig`` that
checks which source feeds which featurizer.

>>> p = PipelineConfig.model_validate({
...     "sources": [{"type": "synthetic_audio", "id": "mic"}],
...     "featurizers": [{"type": "audio", "source": "mic"}]})
>>> (p.featurizers[0].namespace, p.featurizers[0].n_mels)
('audio', 32)
>>> PipelineConfig.model_validate({"sources": [], "featurizers": [{"type": "video", "source": "cam"}]})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for PipelineConfig
  Value error, featurizers[0]: source 'cam' is not defined; defined sources: (none) ...
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from appliance.registry import KindOf
from featurizers.config.sources import ID_PATTERN, Kind, SourceConfig

NAMESPACE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"
DEFAULT_FACE_MODEL = "package:featurizers.models/face_detection_short_range.tflite"


class FeaturizerConfigBase(BaseModel):
    """What every featurizer's config has: a ``type``, the source it reads and the namespace it writes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reads: ClassVar[Kind]
    """The kind of source it reads: ``audio`` windows or ``video`` frames."""
    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="Selects this implementation.")
    namespace: str = Field(pattern=NAMESPACE_PATTERN, description="VW namespace of the features.")
    source: str = Field(default="default", pattern=ID_PATTERN, description="Id of the source this featurizer reads.")


class AudioFeaturizerConfig(FeaturizerConfigBase):
    """Log-mel bands, MFCC means, RMS/dBFS, ZCR, spectral centroid/rolloff/flatness, onset rate."""

    reads: ClassVar[Kind] = "audio"

    type: Literal["audio"] = Field(default="audio", description="Selects this implementation.")
    namespace: str = Field(default="audio", pattern=NAMESPACE_PATTERN, description="VW namespace of the features.")
    n_fft: int = Field(default=512, ge=64, le=8192, description="FFT size (samples) of each STFT frame.")
    hop_length: int = Field(default=256, ge=16, le=8192, description="Samples between STFT frames.")
    n_mels: int = Field(default=32, ge=4, le=128, description="Number of log-mel bands.")
    n_mfcc: int = Field(default=13, ge=1, le=40, description="Number of MFCC coefficients (<= n_mels).")
    fmin: float = Field(default=0.0, ge=0.0, le=20000.0, description="Lowest mel frequency (Hz).")
    fmax: float | None = Field(default=None, gt=0.0, le=96000.0, description="Highest mel frequency; None: rate/2.")
    rolloff_percent: float = Field(default=0.85, gt=0.0, lt=1.0, description="Energy fraction for spectral rolloff.")

    @model_validator(mode="after")
    def _check(self) -> "AudioFeaturizerConfig":
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc ({self.n_mfcc}) must be <= n_mels ({self.n_mels})")
        if self.hop_length > self.n_fft:
            raise ValueError(f"hop_length ({self.hop_length}) must be <= n_fft ({self.n_fft})")
        return self


class VideoFeaturizerConfig(FeaturizerConfigBase):
    """Brightness, contrast, coarse colour histogram, dominant colour, motion energy, sharpness."""

    reads: ClassVar[Kind] = "video"

    type: Literal["video"] = Field(default="video", description="Selects this implementation.")
    namespace: str = Field(default="video", pattern=NAMESPACE_PATTERN, description="VW namespace of the features.")
    downscale: int = Field(default=4, ge=1, le=64, description="Average blocks of NxN pixels before featurizing.")
    hist_bins: int = Field(default=2, ge=2, le=4, description="Bins per RGB channel of the colour histogram.")


class FaceFeaturizerConfig(FeaturizerConfigBase):
    """BlazeFace (TFLite) detections turned into face count, largest face size and position."""

    reads: ClassVar[Kind] = "video"

    type: Literal["face"] = Field(default="face", description="Selects this implementation.")
    namespace: str = Field(default="face", pattern=NAMESPACE_PATTERN, description="VW namespace of the features.")
    model: str = Field(default=DEFAULT_FACE_MODEL, min_length=1, max_length=4096,
                       description="Path of a .tflite, or 'package:PKG/FILE' for one shipped in a package.")
    backend: Literal["cpu", "edgetpu", "hailo", "imx500"] = Field(default=
        "cpu", description="Where inference runs; a backend that cannot load falls back to cpu.")
    edgetpu_library: str = Field(default="libedgetpu.so.1", max_length=200, description="Edge TPU delegate library.")
    hailo_hef: str | None = Field(default=None, max_length=4096, description="Hailo: compiled .hef of the model.")
    threads: int = Field(default=1, ge=1, le=8, description="CPU interpreter threads.")
    score_threshold: float = Field(default=0.5, ge=0.01, le=0.99, description="Minimum face score.")
    iou_threshold: float = Field(default=0.3, ge=0.01, le=0.99, description="Overlap above which boxes merge (NMS).")


FeaturizerConfig = Annotated[FeaturizerConfigBase, KindOf("featurizers")]
"""One featurizer; the ``type`` key picks the kind (built in, or added by a plug-in)."""


class PipelineConfig(BaseModel):
    """Which sources feed which featurizers (what the appliance embeds in its config tree)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[SourceConfig] = Field(default_factory=list, max_length=16, description="Capture sources.")
    featurizers: list[FeaturizerConfig] = Field(default_factory=list, max_length=32,
                                                description="Featurizers, each reading one source.")

    @model_validator(mode="after")
    def _check_links(self) -> "PipelineConfig":
        ids = [s.id for s in self.sources]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"sources: duplicate id(s) {', '.join(dupes)}; give each source its own id")
        kinds = {s.id: s.kind for s in self.sources}
        for n, f in enumerate(self.featurizers):
            if f.source not in kinds:
                raise ValueError(f"featurizers[{n}]: source {f.source!r} is not defined; "
                                 f"defined sources: {', '.join(ids) or '(none)'}")
            if kinds[f.source] != f.reads:
                raise ValueError(f"featurizers[{n}]: a {f.type!r} featurizer needs a "
                                 f"{f.reads} source, {f.source!r} is {kinds[f.source]}")
        spaces = [f.namespace for f in self.featurizers]
        if len(set(spaces)) != len(spaces):
            raise ValueError("featurizers: namespaces must be unique; set 'namespace' on one of them")
        return self
