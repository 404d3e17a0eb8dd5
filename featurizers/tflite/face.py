"""Face featurizer: BlazeFace on a TFLite backend (CPU, Edge TPU, Hailo, AI Camera) turned into
``face_count``, and the largest face's ``largest_size`` (max side, fraction of the frame),
``largest_x``/``largest_y`` (centre, fractions) and ``largest_score``; zeros when there is no face.

>>> import numpy as np
>>> from featurizers.config import FaceFeaturizerConfig
>>> from featurizers.samples import VideoFrame
>>> f = FaceFeaturizer(FaceFeaturizerConfig(source="cam"))
>>> f.featurize(VideoFrame(image=np.full((240, 320, 3), 128, np.uint8), timestamp=0.0, seq=1))["face_count"]
0.0
>>> f.stats()["backend"]
'cpu:ai-edge-litert'
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np

from featurizers.config import FaceFeaturizerConfig
from featurizers.errors import ModelError, SpecError
from featurizers.samples import Sample, VideoFrame
from featurizers.tflite import blazeface
from featurizers.tflite.backends import make_backend
from featurizers.tflite.runtime import InferenceBackend
from featurizers.timing import CallTimer

NAMES = ("face_count", "largest_size", "largest_x", "largest_y", "largest_score")


class FaceFeaturizer:
    """See module doc; ``backend=`` injects any :class:`InferenceBackend` (fakes in tests)."""

    kind: Literal["video"] = "video"

    def __init__(self, config: FaceFeaturizerConfig | None = None, *, backend: InferenceBackend | None = None,
                 **backend_options: Any) -> None:
        self.config = config or FaceFeaturizerConfig()
        self.namespace = self.config.namespace
        self.backend = backend or make_backend(self.config, **backend_options)
        shape = self.backend.input_shape
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ModelError(f"face model input must be [1, N, N, 3], got {list(shape)}")
        self.size = int(shape[1])
        self._anchors = blazeface.anchors(self.size, (8, 16, 16, 16))
        self._timer = CallTimer()
        self._infer_ms = CallTimer()
        self.last_faces: list[tuple[np.ndarray, float]] = []

    def feature_names(self) -> tuple[str, ...]:
        return NAMES

    def stats(self) -> dict[str, Any]:
        return {**self.backend.stats(), **self._timer.stats(), "infer_ms_mean": round(self._infer_ms.ms_mean, 4)}

    def featurize(self, sample: Sample) -> dict[str, float]:
        if not isinstance(sample, VideoFrame):
            raise SpecError(f"face featurizer {self.namespace!r} got a {type(sample).__name__}; "
                            "connect it to a video source")
        with self._timer.measure():
            return self.features(sample.image, sample)

    def detect(self, image: np.ndarray, frame: VideoFrame | None = None) -> list[tuple[np.ndarray, float]]:
        """Faces as ``(box (xmin, ymin, xmax, ymax) in frame fractions, score)``, best first."""
        tensor, box = blazeface.letterbox(image, self.size)
        start = time.perf_counter()
        outputs = self.backend.infer(tensor[None], frame)
        self._infer_ms.add((time.perf_counter() - start) * 1000.0)
        raw_boxes = next((o for o in outputs if o.shape[-1] == 16), None)
        raw_scores = next((o for o in outputs if o.shape[-1] == 1), None)
        if raw_boxes is None or raw_scores is None:
            raise ModelError(f"face model outputs {[o.shape for o in outputs]}: expected [1, {len(self._anchors)}, "
                             "16] and [1, N, 1] (a BlazeFace short-range model)")
        boxes, scores = blazeface.decode(raw_boxes.astype(np.float64), raw_scores.astype(np.float64),
                                         self._anchors, self.size, self.config.score_threshold)
        faces = blazeface.weighted_nms(boxes, scores, self.config.iou_threshold)
        if faces:
            unpadded = box.unpad(np.stack([b for b, _ in faces]))
            faces = [(np.clip(unpadded[i], 0.0, 1.0), s) for i, (_, s) in enumerate(faces)]
        return faces

    def features(self, image: np.ndarray, frame: VideoFrame | None = None) -> dict[str, float]:
        faces = self.detect(image, frame)
        self.last_faces = faces
        if not faces:
            return dict.fromkeys(NAMES, 0.0)
        sizes = [max(b[2] - b[0], b[3] - b[1]) for b, _ in faces]
        i = int(np.argmax(sizes))
        b, score = faces[i]
        return {"face_count": float(len(faces)), "largest_size": float(sizes[i]),
                "largest_x": float((b[0] + b[2]) / 2), "largest_y": float((b[1] + b[3]) / 2),
                "largest_score": float(score)}
