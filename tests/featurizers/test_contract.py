"""Shared checks every source and config honours: the protocol, stats, failure without raising,
reconnect with backoff, strict configs, specs, the fakes behind picamera2/PortAudio, fast import."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

import featurizers
from appliance.registry import REGISTRY
from featurizers import (
    AudioDeviceSourceConfig,
    DeviceNotFoundError,
    Featurizer,
    FeaturizerConfig,
    Picamera2SourceConfig,
    PipelineConfig,
    Source,
    SourceConfig,
    SpecError,
    SyntheticAudioSourceConfig,
    SyntheticVideoSourceConfig,
    V4l2SourceConfig,
    build_featurizer,
    build_source,
    parse_source_spec,
)
from featurizers.config import featurizers as featurizer_configs
from featurizers.config import sources as source_configs
from featurizers.sources.audio_device import AudioDeviceSource
from featurizers.sources.fake_picamera2 import FakePicamera2Module
from featurizers.sources.picamera2 import Picamera2Source
from featurizers.sources.v4l2 import V4l2Source
from featurizers.spec import EXAMPLES


def all_models() -> list[type[BaseModel]]:
    found = []
    for module in (source_configs, featurizer_configs):
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
                    and not value.__name__.startswith("_")):
                found.append(value)
    return found


@pytest.mark.parametrize("model", all_models(), ids=lambda m: m.__name__)
def test_configs_strict_and_described(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
    for name, field in model.model_fields.items():
        assert field.description, f"{model.__name__}.{name} has no description"
        if field.annotation in (int, float):
            assert field.metadata, f"{model.__name__}.{name} has no bounds"


def test_registry_covers_every_config_type() -> None:
    kinds = [m for m in all_models() if "type" in m.model_fields and isinstance(m.model_fields["type"].default, str)]  # not bases
    assert {m.model_fields["type"].default for m in kinds if "id" in m.model_fields} == set(REGISTRY.kinds("sources"))
    assert {m.model_fields["type"].default for m in kinds if "source" in m.model_fields} == set(REGISTRY.kinds("featurizers"))


def test_unknown_key_rejected() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        TypeAdapter(SourceConfig).validate_python({"type": "synthetic_video", "id": "v", "colour": "red"})
    with pytest.raises(ValidationError, match="n_mfcc"):
        TypeAdapter(FeaturizerConfig).validate_python({"type": "audio", "n_mfcc": 40, "n_mels": 20})


def test_pipeline_links_checked() -> None:
    with pytest.raises(ValidationError, match="needs a video source"):
        PipelineConfig.model_validate({"sources": [{"type": "synthetic_audio", "id": "mic"}],
                                       "featurizers": [{"type": "face", "source": "mic"}]})
    with pytest.raises(ValidationError, match="duplicate id"):
        PipelineConfig.model_validate({"sources": [{"type": "synthetic_audio", "id": "a"}] * 2})


@pytest.mark.parametrize("spec", EXAMPLES)
def test_every_documented_spec_parses(spec: str) -> None:
    cfg = parse_source_spec(spec.replace("HOST:PORT", "127.0.0.1:8080").replace("HOST", "127.0.0.1"))
    assert cfg.type in REGISTRY.kinds("sources")


@pytest.mark.parametrize("spec", ["", "audio:file:", "video:mjpeg:ftp://x", "video:picamera2:x", "mic"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(SpecError, match="bad source spec"):
        parse_source_spec(spec)


@pytest.mark.parametrize("config", [SyntheticAudioSourceConfig(id="a", realtime=False, window_seconds=0.2),
                                    SyntheticVideoSourceConfig(id="v", width=64, height=48, fps=60)],
                         ids=["audio", "video"])
def test_synthetic_sources_follow_the_protocol(config: Any) -> None:
    source = build_source(config)
    assert isinstance(source, Source)
    featurizer = build_featurizer(TypeAdapter(FeaturizerConfig).validate_python(
        {"type": source.kind, "source": config.id}))
    assert isinstance(featurizer, Featurizer) and featurizer.kind == source.kind
    source.start()
    source.start()  # idempotent
    samples = [source.read(timeout=5.0) for _ in range(3)]
    source.stop()
    source.stop()
    assert all(s is not None for s in samples)
    seqs = [s.seq for s in samples if s is not None]
    assert seqs == sorted(set(seqs))
    for s in samples:
        assert s is not None
        assert tuple(featurizer.featurize(s)) == featurizer.feature_names()
    json.dumps(source.stats())
    json.dumps(featurizer.stats())
    assert source.stats()["state"] == "stopped" and source.stats()["samples"] >= 3


def test_failing_camera_reports_and_backs_off() -> None:
    source = V4l2Source(V4l2SourceConfig(id="cam", device="/dev/video-missing", backoff_min_seconds=0.05,
                                         backoff_max_seconds=0.2), check_exists=False)
    source.start()
    assert source.read(timeout=1.0) is None
    stats = source.stats()
    start = time.monotonic()
    source.stop()
    assert time.monotonic() - start < 1.0
    assert 3 <= stats["errors"] <= 12  # backoff doubles 0.05 -> 0.2: not a busy loop
    assert "/dev/video-missing" in stats["last_error"]


def test_missing_v4l2_device_names_present() -> None:
    with pytest.raises(DeviceNotFoundError, match="video devices present"):
        build_source(V4l2SourceConfig(id="cam", device="/dev/video77"))


def test_picamera2_contract_busy_then_recovers() -> None:
    module = FakePicamera2Module(fps=100)
    module.busy = True
    source = Picamera2Source(Picamera2SourceConfig(id="cam", width=32, height=24, backoff_min_seconds=0.05,
                                                   backoff_max_seconds=0.05), picamera2_module=module)
    source.start()
    assert source.read(timeout=0.3) is None
    assert "busy" in source.stats()["last_error"]
    module.busy = False
    sample = source.read(timeout=3.0)
    stats = source.stats()
    source.stop()
    assert sample is not None and sample.image.shape == (24, 32, 3)
    assert sample.image[..., 0].min() == 255 and sample.image[..., 2].max() == 0  # red, as RGB
    assert stats["reconnects"] >= 1 and stats["state"] == "running"


def test_picamera2_missing_camera_names_present() -> None:
    source = Picamera2Source(Picamera2SourceConfig(id="cam", camera=3, backoff_min_seconds=0.05),
                             picamera2_module=FakePicamera2Module())
    source.start()
    time.sleep(0.2)
    stats = source.stats()
    source.stop()
    assert "Pi camera 3 not found; cameras present: 0:imx708" in stats["last_error"]


class FakeSoundDevice:
    """PortAudio stand-in: one 48 kHz USB mic whose stream can overflow or die (unplug)."""

    def __init__(self) -> None:
        self.default = SimpleNamespace(device=(0, 0))
        self.dead = False
        self.opened = 0
        self.signal = 0.25
        self.refreshes = 0
        fake = self

        class InputStream:
            def __init__(self, device: int, samplerate: int, channels: int, dtype: str, blocksize: int,
                         callback: Any) -> None:
                assert samplerate == 48000 and channels == 2
                fake.opened += 1
                self.active = False
                self._cb, self._block = callback, blocksize

            def start(self) -> None:
                self.active = True
                threading.Thread(target=self._run, daemon=True).start()

            def _run(self) -> None:
                n = 0
                while self.active and not fake.dead:
                    data = np.full((self._block, 2), fake.signal, dtype=np.float32)
                    self._cb(data, self._block, None, SimpleNamespace(input_overflow=n == 3))
                    n += 1
                    time.sleep(self._block / 48000 / 4)
                self.active = False

            def stop(self) -> None:
                self.active = False

            def close(self) -> None:
                pass

        self.InputStream = InputStream

    def query_devices(self) -> list[dict[str, Any]]:
        return [{"name": "USB PnP Sound Device: Audio (hw:1,0)", "max_input_channels": 2,
                 "default_samplerate": 48000.0}, {"name": "HDMI", "max_input_channels": 0,
                                                  "default_samplerate": 48000.0}]

    def _terminate(self) -> None:
        self.refreshes += 1

    def _initialize(self) -> None:
        pass


def test_usb_mic_contract_resample_xrun_unplug() -> None:
    sd = FakeSoundDevice()
    source = AudioDeviceSource(AudioDeviceSourceConfig(id="mic", device="USB", channels=2, window_seconds=0.2,
                                                       hop_seconds=0.1, backoff_min_seconds=0.05,
                                                       stall_seconds=0.5), sounddevice_module=sd)
    source.start()
    window = source.read(timeout=3.0)
    assert window is not None and window.rate == 16000 and len(window.samples) == 3200
    assert abs(float(np.median(window.samples)) - 0.25) < 1e-3  # stereo mixed down, resampled 48k -> 16k
    sd.dead = True  # unplugged: stream goes inactive
    time.sleep(1.0)
    sd.dead = False
    deadline = time.monotonic() + 5
    while sd.opened < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert source.read(timeout=3.0) is not None
    stats = source.stats()
    source.stop()
    assert stats["xruns"] >= 1 and stats["native_rate"] == 48000 and stats["device"].startswith("USB PnP")
    assert stats["reconnects"] >= 1 and "stopped" in stats["last_error"] and sd.opened >= 2


def test_import_is_fast_and_lazy() -> None:
    code = ("import time, sys\nt0 = time.perf_counter()\nimport numpy, pydantic\n"
            "class Warm(pydantic.BaseModel):\n    x: int = 0\n"
            "t = time.perf_counter(); import featurizers; dt = time.perf_counter() - t\n"
            "heavy = [m for m in ('sounddevice', 'av', 'ai_edge_litert', 'picamera2', 'librosa', 'scipy') "
            "if m in sys.modules]\nprint(dt, t - t0, heavy)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(3)]
    assert all(r.strip().endswith("[]") for r in runs), runs
    ours = min(float(r.split()[0]) for r in runs)
    baseline = min(float(r.split()[1]) for r in runs)  # numpy + pydantic: a yardstick for machine load
    assert ours < max(0.1, baseline), f"import featurizers took {ours * 1000:.0f} ms beyond numpy/pydantic"


def test_public_api_exported() -> None:
    for name in featurizers.__all__:
        assert getattr(featurizers, name) is not None
    assert issubclass(featurizers.SpecError, (featurizers.FeaturizerError, ValueError))
    assert issubclass(featurizers.CaptureError, OSError)
