"""Command-line source specs (``audio:default``, ``video:file:PATH``...) to configs, and a check
that the named device is there.

>>> parse_source_spec("audio:file:/tmp/a.wav").path
'/tmp/a.wav'
>>> parse_source_spec("audio:pulse").device
'pulse'
>>> parse_source_spec("video:mjpeg:http://127.0.0.1:8080/stream").url
'http://127.0.0.1:8080/stream'
>>> parse_source_spec("synthetic").type
'synthetic_video'
>>> parse_source_spec("radio:fm")
Traceback (most recent call last):
...
featurizers.errors.SpecError: bad source spec 'radio:fm': ...
"""

from __future__ import annotations

import functools
import os

from pydantic import TypeAdapter, ValidationError

from featurizers.config import (
    AudioDeviceSourceConfig,
    AudioFileSourceConfig,
    Picamera2SourceConfig,
    SourceConfig,
    V4l2SourceConfig,
    VideoFileSourceConfig,
)
from featurizers.errors import DeviceNotFoundError, SpecError

EXAMPLES = ("audio:default", "audio:pulse", "audio:file:PATH", "audio:synthetic", "video:file:PATH",
            "video:mjpeg:http://HOST:PORT/stream", "video:rtsp:rtsp://HOST/stream", "video:v4l2:/dev/video0",
            "video:picamera2:0", "synthetic")


@functools.cache
def _adapter() -> TypeAdapter[SourceConfig]:
    return TypeAdapter(SourceConfig)


def _fields(spec: str) -> dict[str, object]:
    kind, _, rest = spec.partition(":")
    sub, _, arg = rest.partition(":")
    if spec in ("synthetic", "video:synthetic"):
        return {"type": "synthetic_video", "id": "video"}
    if sub == "file" and not arg:
        raise SpecError(f"bad source spec {spec!r}: give the file path after 'file:'")
    if kind == "audio":
        if rest == "synthetic":
            return {"type": "synthetic_audio", "id": "audio"}
        if sub == "file" and arg:
            return {"type": "audio_file", "id": "audio", "path": arg}
        return {"type": "audio_device", "id": "audio", "device": rest or "default"}
    if kind == "video":
        if sub == "file" and arg:
            return {"type": "video_file", "id": "video", "path": arg}
        if sub == "mjpeg" and arg:
            return {"type": "mjpeg", "id": "video", "url": arg}
        if sub == "rtsp" and arg:
            return {"type": "rtsp", "id": "video", "url": arg}
        if sub == "v4l2":
            return {"type": "v4l2", "id": "video", "device": arg or "/dev/video0"}
        if sub == "picamera2":
            return {"type": "picamera2", "id": "video", "camera": arg or "0"}
    raise SpecError(f"bad source spec {spec!r}: expected one of {', '.join(EXAMPLES)}")


def parse_source_spec(spec: str) -> SourceConfig:
    """The :data:`~featurizers.config.SourceConfig` a CLI spec names (the device is not opened)."""
    fields = _fields(spec.strip())
    try:
        return _adapter().validate_python(fields)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:])
        raise SpecError(f"bad source spec {spec!r}: {where}: {first['msg']}") from None


def check_available(config: SourceConfig) -> None:
    """Raise :class:`DeviceNotFoundError` (naming what is present) when the device is not there."""
    from featurizers import devices

    if isinstance(config, (AudioFileSourceConfig, VideoFileSourceConfig)) and not os.path.isfile(config.path):
        if os.path.isdir(config.path):
            raise DeviceNotFoundError(f"file {config.path!r} is a directory; give a media file in it")
        raise DeviceNotFoundError(f"file {config.path!r} not found; check the path")
    if isinstance(config, AudioDeviceSourceConfig):
        from featurizers.sources.audio_device import import_sounddevice, resolve_input

        resolve_input(import_sounddevice(), config.device)
    if isinstance(config, V4l2SourceConfig) and not os.path.exists(config.device):
        nodes = [c["path"] for c in devices.list_v4l2()]
        raise DeviceNotFoundError(f"camera {config.device!r} not found; video devices present: "
                                  f"{', '.join(nodes) or '(none)'}")
    if isinstance(config, Picamera2SourceConfig):
        cams = devices.list_libcamera()
        if config.camera >= len(cams):
            present = ", ".join(f"{c['index']}:{c['model']}" for c in cams) or "(none: picamera2 not installed " \
                "or no Pi camera)"
            raise DeviceNotFoundError(f"Pi camera {config.camera} not found; cameras present: {present}")
