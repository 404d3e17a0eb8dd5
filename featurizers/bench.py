"""Benchmarks ``wabbit bench`` imports: ``BENCHMARKS[name](quick) -> dict``; ``python -m featurizers.bench``
prints them as JSON. Each figure is a median over repeats after warm-up, with its reference measured
in the same run; ``ratio`` is explained in ``ratio_meaning``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def _times(fn: Callable[[], object], repeats: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000.0)
    return out


def _summary(figure: str, ms: list[float], ref_name: str, ref_ms: list[float], ratio: float,
             meaning: str, **extra: Any) -> dict[str, Any]:
    return {"figure": figure, "unit": "ms", "median": round(float(np.median(ms)), 4),
            "p95": round(float(np.percentile(ms, 95)), 4), "repeats": len(ms),
            "reference": {"name": ref_name, "median": round(float(np.median(ref_ms)), 4),
                          "p95": round(float(np.percentile(ref_ms, 95)), 4)},
            "ratio": round(ratio, 3), "ratio_meaning": meaning, **extra}


def speechlike(rate: int = 16000, seconds: float = 1.0, seed: int = 0) -> np.ndarray:
    """A seeded test window: syllable-like harmonic bursts over noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    f0 = 140.0 + 30.0 * np.sin(2 * np.pi * 0.7 * t)
    voiced = sum(np.sin(2 * np.pi * k * np.cumsum(f0) / rate) / k for k in range(1, 8))
    envelope = np.clip(np.sin(2 * np.pi * 3.5 * t), 0.0, None) ** 2
    result: np.ndarray = 0.2 * voiced * envelope + 0.01 * rng.standard_normal(len(t))
    return result


def bench_audio(quick: bool) -> dict[str, Any]:
    """Audio featurizer vs librosa computing the same features on the same 1 s, 16 kHz window."""
    from featurizers.audio.features import AudioFeaturizer
    from featurizers.audio.reference import librosa_features
    from featurizers.config import AudioFeaturizerConfig

    config = AudioFeaturizerConfig()
    y = speechlike()
    ours = AudioFeaturizer(config)
    repeats = 15 if quick else 60
    ms = _times(lambda: ours.features(y, 16000), repeats, 3)
    ref = _times(lambda: librosa_features(y, 16000, config), repeats, 2)
    return _summary("audio featurizer ms per 1 s window at 16 kHz", ms, "librosa 0.11 same features", ref,
                    float(np.median(ref) / np.median(ms)), "librosa median / ours (speed-up; goal >= 3)")


def bench_video(quick: bool) -> dict[str, Any]:
    """Video featurizer on 640x480 frames (downscale 4), vs the same at full resolution."""
    from featurizers.config import VideoFeaturizerConfig
    from featurizers.sources.synthetic_video import scene
    from featurizers.video.features import VideoFeaturizer

    rng = np.random.default_rng(0)
    frames = [scene(n, 640, 480, rng) for n in range(4)]
    ours, full = VideoFeaturizer(VideoFeaturizerConfig()), VideoFeaturizer(VideoFeaturizerConfig(downscale=1))
    it = iter(range(10**9))
    repeats = 20 if quick else 100
    ms = _times(lambda: ours.features(frames[next(it) % 4]), repeats, 3)
    ref = _times(lambda: full.features(frames[next(it) % 4]), repeats, 2)
    med = float(np.median(ms))
    return _summary("video featurizer ms per 640x480 frame (downscale 4)", ms, "same featurizer, downscale 1",
                    ref, float(np.median(ref) / med), "full-resolution median / ours (speed-up)",
                    fps=round(1000.0 / med, 1))


def bench_tflite(quick: bool) -> dict[str, Any]:
    """BlazeFace through the face featurizer (letterbox, invoke, decode, NMS) vs bare ``invoke()``."""
    from featurizers.config import FaceFeaturizerConfig
    from featurizers.tflite.face import FaceFeaturizer
    from featurizers.tflite.runtime import import_runtime, resolve_model

    try:
        import skimage.data

        image = np.asarray(getattr(skimage.data, "astronaut")(), dtype=np.uint8)
    except ImportError:
        image = np.full((512, 512, 3), 128, dtype=np.uint8)
    ours = FaceFeaturizer(FaceFeaturizerConfig())
    interpreter_cls, _, runtime = import_runtime()
    bare = interpreter_cls(model_path=resolve_model(FaceFeaturizerConfig().model), num_threads=1)
    bare.allocate_tensors()
    bare.set_tensor(bare.get_input_details()[0]["index"], np.zeros((1, 128, 128, 3), np.float32))
    repeats = 30 if quick else 200
    ms = _times(lambda: ours.features(image), repeats, 5)
    ref = _times(bare.invoke, repeats, 5)
    return _summary("face featurizer ms per 512x512 frame (BlazeFace short range)", ms,
                    f"bare {runtime} Interpreter.invoke()", ref, float(np.median(ms) / np.median(ref)),
                    "ours / bare invoke (overhead factor of pre/post-processing)",
                    backend=ours.stats()["backend"])


BENCHMARKS: dict[str, Callable[[bool], dict[str, Any]]] = {
    "audio_featurizer_vs_librosa": bench_audio,
    "video_featurizer_640x480": bench_video,
    "tflite_blazeface_vs_invoke": bench_tflite,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    quick = "--quick" in args
    print(json.dumps({name: bench(quick) for name, bench in BENCHMARKS.items()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
