"""Source configs: one pydantic model per capture type, joined in ``SourceConfig`` on ``type``.

>>> from pydantic import TypeAdapter
>>> cfg = TypeAdapter(SourceConfig).validate_python({"type": "audio_device", "id": "mic"})
>>> (cfg.device, cfg.rate, cfg.window_seconds)
('default', 16000, 1.0)
>>> TypeAdapter(SourceConfig).validate_python({"type": "v4l2", "id": "cam", "fps": 0})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for function-before[...]
...
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from appliance.registry import KindOf

Kind = Literal["audio", "video"]

ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class SourceConfigBase(BaseModel):
    """What every source's config has: a ``type``, an ``id``, its kind of sample and reconnect backoff."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[Kind]
    """``audio`` (windows) or ``video`` (frames): which featurizers can read it."""
    example: ClassVar[dict[str, Any]] = {"id": "demo"}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="Selects this implementation.")
    id: str = Field(description="Name other config sections use to refer to this source.",
                    pattern=ID_PATTERN)
    backoff_min_seconds: float = Field(default=0.5, ge=0.01, le=60.0,
                                       description="First wait before reconnecting a failed source.")
    backoff_max_seconds: float = Field(default=30.0, ge=0.01, le=3600.0,
                                       description="Longest wait between reconnect attempts (doubling).")


class _Audio(SourceConfigBase):
    kind: ClassVar[Kind] = "audio"

    rate: int = Field(default=16000, ge=4000, le=192000,
                      description="Sample rate (Hz) featurizers see; captured audio is resampled to it.")
    window_seconds: float = Field(default=1.0, gt=0.05, le=30.0, description="Length of each audio window.")
    hop_seconds: float = Field(default=0.5, gt=0.01, le=30.0,
                               description="A new window is produced every hop (windows overlap).")


class _Video(SourceConfigBase):
    kind: ClassVar[Kind] = "video"

    width: int | None = Field(default=None, ge=16, le=7680, description="Requested frame width; None: native.")
    height: int | None = Field(default=None, ge=16, le=4320, description="Requested frame height; None: native.")


class AudioDeviceSourceConfig(_Audio):
    """A PortAudio input (USB mic, PulseAudio/PipeWire, ALSA) captured at its native rate."""

    type: Literal["audio_device"] = Field(default="audio_device", description="Selects this implementation.")
    device: str = Field(default="default", min_length=1, max_length=200,
                        description="'default', a PortAudio index, or part of a device name ('pulse', 'USB').")
    native_rate: int | None = Field(default=None, ge=4000, le=192000,
                                    description="Capture rate; None: the device's default rate.")
    channels: int = Field(default=1, ge=1, le=32, description="Channels captured (mixed down to mono).")
    block_seconds: float = Field(default=0.05, ge=0.005, le=1.0, description="PortAudio block length.")
    silent_warn_seconds: float = Field(default=5.0, ge=0.5, le=3600.0,
                                       description="Warn once when the input is all zeros for this long.")
    stall_seconds: float = Field(default=5.0, ge=0.5, le=600.0,
                                 description="No audio block for this long counts as a failure (reconnect).")


class AudioFileSourceConfig(_Audio):
    """A WAV/FLAC (any PyAV-decodable) file, played at real time or as fast as it is read."""

    type: Literal["audio_file"] = Field(default="audio_file", description="Selects this implementation.")
    example: ClassVar[dict[str, Any]] = {"id": "mic", "path": "speech.wav"}
    path: str = Field(min_length=1, max_length=4096, description="Path of the audio file.")
    loop: bool = Field(default=False, description="Start again at the end instead of ending.")
    realtime: bool = Field(default=True, description="Pace windows at real time; False: every window, no drops.")


class SyntheticAudioSourceConfig(_Audio):
    """Seeded tone bursts over noise: a shipped fake for tests and demos."""

    type: Literal["synthetic_audio"] = Field(default="synthetic_audio", description="Selects this implementation.")
    tone_hz: float = Field(default=440.0, ge=20.0, le=20000.0, description="Frequency of the tone bursts.")
    noise: float = Field(default=0.01, ge=0.0, le=1.0, description="Amplitude of white noise.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed (same seed, same audio).")
    realtime: bool = Field(default=True, description="Pace windows at real time; False: as fast as read.")


class VideoFileSourceConfig(_Video):
    """A video file decoded with PyAV (FFmpeg)."""

    type: Literal["video_file"] = Field(default="video_file", description="Selects this implementation.")
    example: ClassVar[dict[str, Any]] = {"id": "cam", "path": "clip.mp4"}
    path: str = Field(min_length=1, max_length=4096, description="Path of the video file.")
    loop: bool = Field(default=False, description="Start again at the end instead of ending.")
    realtime: bool = Field(default=True, description="Pace frames at their timestamps; False: every frame, no drops.")


class V4l2SourceConfig(_Video):
    """A USB/V4L2 camera (``/dev/videoN``) read through PyAV's video4linux2 input."""

    type: Literal["v4l2"] = Field(default="v4l2", description="Selects this implementation.")
    device: str = Field(default="/dev/video0", pattern=r"^/dev/", max_length=200, description="Device node.")
    fps: int | None = Field(default=None, ge=1, le=240, description="Requested frame rate; None: driver default.")
    input_format: str | None = Field(default=None, max_length=32,
                                     description="Pixel format to ask for, e.g. 'mjpeg' or 'yuyv422'.")


class MjpegSourceConfig(_Video):
    """A network camera serving MJPEG over HTTP (multipart/x-mixed-replace)."""

    type: Literal["mjpeg"] = Field(default="mjpeg", description="Selects this implementation.")
    example: ClassVar[dict[str, Any]] = {"id": "cam", "url": "http://127.0.0.1:8081/stream"}
    url: str = Field(pattern=r"^https?://", max_length=2048, description="Stream URL.")
    timeout_seconds: float = Field(default=5.0, ge=0.1, le=120.0, description="Connect/read timeout.")


class RtspSourceConfig(_Video):
    """A network camera serving RTSP, decoded with PyAV (FFmpeg)."""

    type: Literal["rtsp"] = Field(default="rtsp", description="Selects this implementation.")
    example: ClassVar[dict[str, Any]] = {"id": "cam", "url": "rtsp://127.0.0.1:8554/stream"}
    url: str = Field(pattern=r"^rtsps?://", max_length=2048, description="Stream URL.")
    transport: Literal["tcp", "udp"] = Field(default="tcp", description="RTSP transport.")
    timeout_seconds: float = Field(default=5.0, ge=0.1, le=120.0, description="Connect/read timeout.")


class Picamera2SourceConfig(_Video):
    """A Raspberry Pi camera through picamera2/libcamera (only on a Pi)."""

    type: Literal["picamera2"] = Field(default="picamera2", description="Selects this implementation.")
    camera: int = Field(default=0, ge=0, le=15, description="libcamera camera index.")
    imx500_model: str | None = Field(default=
        None, max_length=4096,
        description="AI Camera: .rpk network to load on the IMX500; its outputs ride in frame meta.")


class SyntheticVideoSourceConfig(_Video):
    """A seeded moving scene (gradient, a bouncing square): a shipped fake for tests and demos."""

    type: Literal["synthetic_video"] = Field(default="synthetic_video", description="Selects this implementation.")
    fps: float = Field(default=15.0, gt=0.0, le=240.0, description="Frames per second.")
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Random seed.")
    realtime: bool = Field(default=True, description="Pace frames at fps; False: as fast as read.")


SourceConfig = Annotated[SourceConfigBase, KindOf("sources")]
"""One source; the ``type`` key picks the kind (built in, or added by a plug-in)."""
