"""Video through the same Source protocol from a generated file and a loopback MJPEG server;
the featurizer sees the moving square; a camera that drops reconnects without raising."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest

from featurizers import (
    MjpegSourceConfig,
    Source,
    VideoFeaturizerConfig,
    VideoFileSourceConfig,
    VideoFrame,
    build_source,
)
from featurizers.errors import SpecError
from featurizers.video.features import VideoFeaturizer


def frames_from(source: Source, n: int, timeout: float = 10.0) -> list[VideoFrame]:
    out: list[VideoFrame] = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        f = source.read(timeout=1.0)
        if isinstance(f, VideoFrame):
            out.append(f)
        elif source.stats()["state"] == "ended":
            break
    return out


def check_square_scene(frames: list[VideoFrame]) -> None:
    f = VideoFeaturizer(VideoFeaturizerConfig(downscale=2))
    feats = [f.featurize(fr) for fr in frames]
    assert all(tuple(x) == f.feature_names() for x in feats)
    # dark blue background (b=60/255) dominates; the white square is ~2 % of the frame
    assert all(x["dominant_b"] > 0.15 and x["dominant_r"] < 0.05 for x in feats)
    assert all(0.02 < x["brightness"] < 0.2 for x in feats)
    assert max(x["motion"] for x in feats[1:]) > 0.005  # the square moves
    assert feats[0]["motion"] == 0.0
    assert all(x["sharpness"] > 0 for x in feats)


def test_video_file_every_frame(video_file: Any) -> None:
    source = build_source(VideoFileSourceConfig(id="file", path=str(video_file), realtime=False))
    assert isinstance(source, Source)
    source.start()
    frames = frames_from(source, 100, timeout=15)
    source.stop()
    assert len(frames) == 30  # realtime=False hands over every frame
    assert frames[0].image.shape == (240, 320, 3) and frames[0].image.dtype == np.uint8
    assert [f.seq for f in frames] == list(range(1, 31))
    check_square_scene(frames)
    assert source.stats()["state"] == "ended" and source.stats()["dropped"] == 0


def test_video_file_realtime_loop_and_resize(video_file: Any) -> None:
    source = build_source(VideoFileSourceConfig(id="file", path=str(video_file), loop=True, width=160, height=120))
    source.start()
    start = time.monotonic()
    frames = frames_from(source, 40, timeout=10)
    elapsed = time.monotonic() - start
    stats = source.stats()
    source.stop()
    assert len(frames) == 40 and frames[0].image.shape == (120, 160, 3)
    assert elapsed > 2.0  # paced at 15 fps and looped past the 2 s file
    assert 8 < stats["fps"] < 25


def test_mjpeg_loopback(mjpeg_server: Any) -> None:
    server = mjpeg_server(fps=25)
    source = build_source(MjpegSourceConfig(id="cam", url=server.url))
    source.start()
    frames = frames_from(source, 12)
    stats = source.stats()
    source.stop()
    assert len(frames) == 12 and frames[0].image.shape == (240, 320, 3)
    check_square_scene(frames)
    assert stats["errors"] == 0 and stats["state"] == "running"


def test_mjpeg_drop_reconnects_with_backoff(mjpeg_server: Any) -> None:
    server = mjpeg_server(frames=5, fps=50)  # every connection ends after 5 frames
    source = build_source(MjpegSourceConfig(id="cam", url=server.url, backoff_min_seconds=0.1,
                                            backoff_max_seconds=0.2))
    source.start()
    frames = frames_from(source, 12)
    stats = source.stats()
    source.stop()
    assert len(frames) >= 10
    assert stats["reconnects"] >= 2 and server.connections >= 3
    assert "ended" in stats["last_error"]


def test_mjpeg_server_gone_never_raises() -> None:
    source = build_source(MjpegSourceConfig(id="cam", url="http://127.0.0.1:9/stream", backoff_min_seconds=0.05,
                                            backoff_max_seconds=0.1, timeout_seconds=0.5))
    source.start()
    assert source.read(timeout=1.0) is None
    stats = source.stats()
    source.stop()
    assert stats["errors"] >= 2 and stats["state"] in ("reconnecting", "opening")
    assert "Connection refused" in stats["last_error"] or "URLError" in stats["last_error"]


def test_cli_featurize_video_file_and_mjpeg(video_file: Any, mjpeg_server: Any, cli: Any) -> None:
    code, out, err = cli("featurize", ["--source", f"video:file:{video_file}", "--seconds", "10", "--json",
                                       "--no-realtime", "--downscale", "2"])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 30 and rows[0]["namespace"] == "video"
    server = mjpeg_server(fps=25)
    code, out, err = cli("featurize", ["--source", f"video:mjpeg:{server.url}", "--seconds", "1.5"])
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) >= 10 and all(line.startswith("|video brightness:") for line in lines)


@pytest.mark.parametrize("spec, named", [("video:v4l2:/dev/video9", "/dev/video9"),
                                         ("video:file:/nonexistent.mp4", "/nonexistent.mp4"),
                                         ("video:picamera2:0", "Pi camera 0"),
                                         ("webcam", "expected one of")])
def test_cli_bad_spec_exits_2(spec: str, named: str, cli: Any) -> None:
    code, out, err = cli("featurize", ["--source", spec, "--seconds", "1"])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and named in err


def test_cli_featurizer_kind_mismatch(cli: Any) -> None:
    code, _, err = cli("featurize", ["--source", "audio:synthetic", "--featurizer", "face", "--seconds", "1"])
    assert code == 2 and "needs a video source" in err


def test_a_frame_smaller_than_the_downscale_block_still_has_finite_features() -> None:
    # a 16x16 camera setting with downscale 32: cropping to whole blocks would leave no pixel, and NaN
    # features, which make every decision from this context fail
    f = VideoFeaturizer(VideoFeaturizerConfig(downscale=32))
    grey = np.full((16, 24, 3), 51, dtype=np.uint8)
    feats = f.features(grey)
    assert all(np.isfinite(v) for v in feats.values())
    assert feats["brightness"] == pytest.approx(0.2) and feats["dominant_r"] == pytest.approx(0.2)


def test_grey_and_rgba_frames_read_as_rgb_and_other_frames_are_refused_saying_what_to_pass() -> None:
    # a user calling the featurizer on a greyscale camera's or a PNG's frames got numpy's broadcast errors
    rgb = np.full((8, 8, 3), 51, dtype=np.uint8)
    expected = VideoFeaturizer(VideoFeaturizerConfig(downscale=2)).features(rgb)
    for frame in (rgb[..., 0], rgb[..., :1], np.concatenate([rgb, np.full((8, 8, 1), 255, np.uint8)], axis=2)):
        assert VideoFeaturizer(VideoFeaturizerConfig(downscale=2)).features(frame) == expected
    with pytest.raises(SpecError, match="uint8 values 0-255, not float64"):  # silently wrong numbers before
        VideoFeaturizer(VideoFeaturizerConfig(downscale=1)).features(rgb / 255.0)
    with pytest.raises(SpecError, match=r"not shape \(8, 8, 2\)"):
        VideoFeaturizer().features(rgb[..., :2])
