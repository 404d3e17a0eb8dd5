"""BlazeFace on the real LiteRT runtime finds the astronaut's face and none in a blank frame; the
Edge TPU path falls back to the CPU here and says so; Hailo and the AI Camera are contract-tested
with the shipped fakes behind the same protocol."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from skimage.data import astronaut

from featurizers import FaceFeaturizerConfig, ModelError, Picamera2SourceConfig, VideoFrame, build_featurizer
from featurizers.sources.fake_picamera2 import FakePicamera2Module
from featurizers.sources.picamera2 import Picamera2Source
from featurizers.tflite.face import NAMES, FaceFeaturizer
from featurizers.tflite.fake import (
    FakeHailoModule,
    FakeInterpreter,
    blazeface_outputs,
    failing_delegate_loader,
    working_delegate_loader,
)

# The astronaut's face in skimage's 512x512 photo: roughly x 175-275, y 70-180 px.
FACE_X, FACE_Y = (0.30, 0.58), (0.10, 0.40)


def frame(image: np.ndarray, **meta: object) -> VideoFrame:
    return VideoFrame(image=image, timestamp=time.time(), seq=1, meta=dict(meta))


@pytest.fixture(scope="module")
def cpu_face() -> FaceFeaturizer:
    return FaceFeaturizer(FaceFeaturizerConfig(source="cam"))


def test_finds_the_astronaut(cpu_face: FaceFeaturizer) -> None:
    feats = cpu_face.featurize(frame(astronaut()))
    assert feats["face_count"] == 1.0
    assert FACE_X[0] < feats["largest_x"] < FACE_X[1] and FACE_Y[0] < feats["largest_y"] < FACE_Y[1]
    assert 0.1 < feats["largest_size"] < 0.35 and feats["largest_score"] > 0.8
    box, _ = cpu_face.last_faces[0]
    assert box[0] * 512 < 220 < box[2] * 512 and box[1] * 512 < 125 < box[3] * 512  # between the eyes


def test_letterboxed_wide_frame_keeps_position(cpu_face: FaceFeaturizer) -> None:
    wide = np.full((512, 768, 3), 90, dtype=np.uint8)
    wide[:, 256:] = astronaut()  # astronaut on the right; the frame is letterboxed into 128x128
    feats = cpu_face.featurize(frame(wide))
    assert feats["face_count"] == 1.0
    assert (256 + FACE_X[0] * 512) / 768 < feats["largest_x"] < (256 + FACE_X[1] * 512) / 768
    assert FACE_Y[0] < feats["largest_y"] < FACE_Y[1]


@pytest.mark.parametrize("fill", [0, 128, 255])
def test_no_face_in_blank_frame(cpu_face: FaceFeaturizer, fill: int) -> None:
    feats = cpu_face.featurize(frame(np.full((480, 640, 3), fill, dtype=np.uint8)))
    assert feats == dict.fromkeys(NAMES, 0.0)


def test_cpu_backend_stats(cpu_face: FaceFeaturizer) -> None:
    stats = cpu_face.stats()
    assert stats["backend"] == "cpu:ai-edge-litert" and stats["fallback_reason"] is None
    assert stats["calls"] >= 1 and stats["ms_mean"] > 0


def test_edgetpu_falls_back_to_cpu_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "featurizers.tflite")
    f = build_featurizer(FaceFeaturizerConfig(source="cam", backend="edgetpu"))
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "edgetpu backend unavailable, running on cpu" in lines[0]
    assert "libedgetpu.so.1" in lines[0]
    assert f.stats()["backend"].startswith("cpu:") and "libedgetpu" in f.stats()["fallback_reason"]
    assert f.featurize(frame(astronaut()))["face_count"] == 1.0


@pytest.mark.parametrize("error", [OSError, ValueError])
def test_edgetpu_contract_fallback_on_both_errors(error: type[Exception]) -> None:
    f = FaceFeaturizer(FaceFeaturizerConfig(backend="edgetpu"), load_delegate=failing_delegate_loader(error),
                       interpreter_factory=FakeInterpreter)
    assert f.stats()["backend"] == "cpu:injected" and error.__name__ in f.stats()["fallback_reason"]


def test_edgetpu_contract_delegate_used_when_it_loads() -> None:
    f = FaceFeaturizer(FaceFeaturizerConfig(backend="edgetpu"), load_delegate=working_delegate_loader,
                       interpreter_factory=FakeInterpreter)
    assert f.stats()["backend"] == "edgetpu"
    assert f.backend.interpreter.delegates[0].library == "libedgetpu.so.1"  # type: ignore[attr-defined]
    feats = f.featurize(frame(np.zeros((480, 640, 3), np.uint8)))
    # fake face at the centre of the 128x128 input, side 0.25 -> letterbox of 4:3 scales y by 4/3
    assert feats["face_count"] == 1 and abs(feats["largest_x"] - 0.5) < 0.01 and abs(feats["largest_y"] - 0.5) < 0.01
    assert abs(feats["largest_size"] - 0.25 * 4 / 3) < 0.01


def test_hailo_contract() -> None:
    hailo = FakeHailoModule(face=(0.25, 0.5, 0.2))
    f = FaceFeaturizer(FaceFeaturizerConfig(backend="hailo", hailo_hef="/models/blazeface.hef"), hailo_module=hailo)
    feats = f.featurize(frame(np.zeros((256, 256, 3), np.uint8)))
    assert f.stats()["backend"] == "hailo" and hailo.infers == 1
    assert feats["face_count"] == 1 and abs(feats["largest_x"] - 0.25) < 0.01


def test_hailo_without_device_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "featurizers.tflite")
    f = FaceFeaturizer(FaceFeaturizerConfig(backend="hailo", hailo_hef="x.hef"), hailo_module=FakeHailoModule(fail=True))
    assert f.stats()["backend"] == "cpu:ai-edge-litert" and "HAILO_OUT_OF_PHYSICAL_DEVICES" in caplog.text
    f2 = FaceFeaturizer(FaceFeaturizerConfig(backend="hailo"))  # no .hef given, no HailoRT here
    assert "hailo_hef" in f2.stats()["fallback_reason"]


def test_ai_camera_contract_through_picamera2_source() -> None:
    module = FakePicamera2Module(cameras=[{"Model": "imx500", "Id": "fake"}], fps=60)
    module.imx500_outputs = [o[0] for o in blazeface_outputs((0.7, 0.3, 0.2))]
    source = Picamera2Source(Picamera2SourceConfig(id="cam", width=128, height=128, imx500_model="face.rpk"),
                             picamera2_module=module)
    f = FaceFeaturizer(FaceFeaturizerConfig(backend="imx500"), interpreter_factory=FakeInterpreter)
    source.start()
    sample = source.read(timeout=5.0)
    source.stop()
    assert isinstance(sample, VideoFrame) and "imx500_outputs" in sample.meta
    feats = f.featurize(sample)
    assert feats["face_count"] == 1 and abs(feats["largest_x"] - 0.7) < 0.01 and abs(feats["largest_y"] - 0.3) < 0.01
    assert f.stats()["backend"] == "imx500" and f.stats()["sensor_frames"] == 1
    f.featurize(frame(np.zeros((128, 128, 3), np.uint8)))  # a frame from another camera: CPU
    assert f.stats()["cpu_frames"] == 1 and f.stats()["backend"] == "imx500+cpu:injected"


def test_model_from_path_and_missing_model(tmp_path: object) -> None:
    from featurizers.tflite.runtime import resolve_model

    path = resolve_model(FaceFeaturizerConfig().model)
    assert FaceFeaturizer(FaceFeaturizerConfig(model=path)).featurize(frame(astronaut()))["face_count"] == 1
    with pytest.raises(ModelError, match="not found"):
        FaceFeaturizer(FaceFeaturizerConfig(model="/no/such.tflite"))
    with pytest.raises(ModelError, match="package 'nope' is not installed"):
        resolve_model("package:nope/x.tflite")
