"""A live audio input through sounddevice/PortAudio (USB mic, PulseAudio/PipeWire, ALSA).

Captures at the device's native rate (many USB mics refuse 16 kHz), mixes to mono, resamples to the
featurizer rate with :class:`~featurizers.audio.resample.Resampler`, and keeps the latest window.
Counts PortAudio overflows (xruns), warns once when the input stays all-zero, and treats a stream that
delivers nothing for ``stall_seconds`` as failed (reconnect with backoff; an unplugged USB mic).
"""

from __future__ import annotations

import logging
import queue
from typing import Any, ClassVar

import numpy as np

from featurizers.audio.resample import Resampler
from featurizers.config.sources import AudioDeviceSourceConfig
from featurizers.errors import BackendUnavailableError, CaptureError, DeviceNotFoundError
from featurizers.sources.audio_base import AudioSource

log = logging.getLogger("featurizers.sources")


def import_sounddevice() -> Any:
    """``sounddevice``, or a clear error when it or the PortAudio library is missing."""
    try:
        import sounddevice
    except (ImportError, OSError) as err:
        raise BackendUnavailableError(
            f"audio capture needs sounddevice and PortAudio ({err}); "
            "pip install sounddevice and apt install libportaudio2") from err
    return sounddevice


def list_inputs(sd: Any) -> list[dict[str, Any]]:
    """Input devices as ``{index, name, channels, default_rate}``."""
    out = []
    for i, dev in enumerate(sd.query_devices()):
        if int(dev["max_input_channels"]) > 0:
            out.append({"index": i, "name": str(dev["name"]), "channels": int(dev["max_input_channels"]),
                        "default_rate": float(dev["default_samplerate"])})
    return out


def resolve_input(sd: Any, device: str) -> dict[str, Any]:
    """Find ``device`` ('default', an index, an exact or partial name) among the inputs."""
    inputs = list_inputs(sd)
    names = ", ".join(f"{d['index']}:{d['name']}" for d in inputs) or "(none)"
    if device == "default":
        index = sd.default.device[0]
        found = [d for d in inputs if d["index"] == index] or [d for d in inputs if d["name"] == "default"]
    elif device.isdigit():
        found = [d for d in inputs if d["index"] == int(device)]
    else:
        found = ([d for d in inputs if d["name"] == device]
                 or [d for d in inputs if device.lower() in d["name"].lower()])
    if not found:
        raise DeviceNotFoundError(f"audio input {device!r} not found; audio inputs present: {names}")
    return found[0]


class AudioDeviceSource(AudioSource):
    """Live capture from a PortAudio input (see module doc)."""

    type: ClassVar[str] = "audio_device"

    def __init__(self, config: AudioDeviceSourceConfig, sounddevice_module: Any = None) -> None:
        super().__init__(config)
        self.device_config = config
        self._sd = sounddevice_module
        self._stream_obj: Any = None
        self._blocks: queue.Queue[np.ndarray] = queue.Queue(maxsize=256)
        self._xruns = 0
        self._lost_blocks = 0
        self._silent_seconds = 0.0
        self._silent_warned = False
        self._native_rate = 0
        self._device_name = ""
        self._stalled = 0.0

    def _open(self) -> None:
        sd = self._sd or import_sounddevice()
        self._sd = sd
        try:
            info = resolve_input(sd, self.device_config.device)
        except DeviceNotFoundError:
            if self._errors:  # maybe replugged: let PortAudio enumerate devices again
                sd._terminate()
                sd._initialize()
            raise
        c = self.device_config
        self._native_rate = c.native_rate or int(info["default_rate"])
        self._device_name = info["name"]
        channels = min(c.channels, info["channels"])
        self._resampler = Resampler(self._native_rate, self.rate)
        self._reset_ring()
        self._blocks = queue.Queue(maxsize=256)
        self._stream_obj = sd.InputStream(
            device=info["index"], samplerate=self._native_rate, channels=channels, dtype="float32",
            blocksize=max(16, int(self._native_rate * c.block_seconds)), callback=self._callback)
        self._stream_obj.start()
        log.info("source %s: capturing %r at %d Hz -> %d Hz", self.id, self._device_name,
                 self._native_rate, self.rate)

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self._xruns += 1
        try:
            self._blocks.put_nowait(indata.copy())
        except queue.Full:
            self._lost_blocks += 1

    def _stream(self) -> bool:
        stall = self.device_config.stall_seconds
        while not self._stop.is_set():
            try:
                block = self._blocks.get(timeout=min(stall, 0.5))
            except queue.Empty:
                self._silent_check(None, 0.5)
                if self._stream_obj is not None and not self._stream_obj.active:
                    raise CaptureError(f"audio input {self._device_name!r} stopped (unplugged?)") from None
                self._stalled += 0.5
                if self._stalled >= stall:
                    raise CaptureError(f"audio input {self._device_name!r} delivered nothing for {stall:g} s")
                continue
            self._stalled = 0.0
            mono = block.mean(axis=1) if block.ndim == 2 else block
            self._silent_check(mono, len(mono) / self._native_rate)
            self._emit(self._resampler.process(mono))
        return False

    def _silent_check(self, mono: np.ndarray | None, seconds: float) -> None:
        if mono is not None and mono.any():
            self._silent_seconds = 0.0
            self._silent_warned = False
            return
        if mono is None:
            return
        self._silent_seconds += seconds
        if self._silent_seconds >= self.device_config.silent_warn_seconds and not self._silent_warned:
            self._silent_warned = True
            log.warning("source %s: input %r has been all zeros for %.0f s (muted mic or wrong device?)",
                        self.id, self._device_name, self._silent_seconds)

    def _close(self) -> None:
        stream, self._stream_obj = self._stream_obj, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as err:  # closing an unplugged device may fail; nothing to do then
                log.debug("source %s: closing stream: %s", self.id, err)

    def _extra_stats(self) -> dict[str, Any]:
        return {"device": self._device_name, "native_rate": self._native_rate, "rate": self.rate,
                "xruns": self._xruns, "lost_blocks": self._lost_blocks,
                "silent": self._silent_seconds >= self.device_config.silent_warn_seconds,
                "silent_seconds": round(self._silent_seconds, 2)}
