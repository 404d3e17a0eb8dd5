"""Real parts for the featurizer tests: a PulseAudio null sink (espeak-ng speaks into it), generated
audio/video files, and a loopback MJPEG HTTP server. Everything binds to 127.0.0.1 and is stopped by PID."""

from __future__ import annotations

import argparse
import contextlib
import http.server
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def run_cli(command: str, argv: list[str]) -> tuple[int, str, str]:
    """Run ``wabbit COMMAND`` in-process the way appliance.cli.main does (UsageError -> exit 2)."""
    import importlib
    import io

    from appliance.errors import WabbitError

    module = importlib.import_module(f"appliance.cli.{command}")
    parser = argparse.ArgumentParser(prog=f"wabbit {command}")
    module.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = module.run(parser.parse_args(argv))
        except WabbitError as exc:
            print(f"wabbit {command}: {exc}", file=sys.stderr)
            code = 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli() -> Callable[[str, list[str]], tuple[int, str, str]]:
    """``cli(command, argv) -> (exit code, stdout, stderr)``."""
    return run_cli


# -- PulseAudio ---------------------------------------------------------------------------------
class Pulse:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def speak(self, text: str) -> subprocess.Popen[bytes]:
        """espeak-ng into the null sink (returns the running player)."""
        cmd = f"espeak-ng --stdout {text!r} | paplay --device=vsink"
        return subprocess.Popen(["sh", "-c", cmd], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


    @contextlib.contextmanager
    def speaking(self, text: str) -> Iterator[None]:
        """Keep espeak-ng talking into the sink until the block ends."""
        done = threading.Event()

        def loop() -> None:
            while not done.is_set():
                player = self.speak(text)
                while player.poll() is None:
                    if done.wait(0.05):
                        player.terminate()
                player.wait(timeout=10)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=15)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pulse]:
    missing = [b for b in ("pulseaudio", "pactl", "paplay", "espeak-ng") if shutil.which(b) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (tests/apt/featurizers.txt installs them)")
    runtime = tmp_path_factory.mktemp("xdg")
    runtime.chmod(0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "HOME": str(runtime)}
    subprocess.run(["pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--disallow-exit",
                    "--load=module-native-protocol-unix",
                    "--load=module-null-sink sink_name=vsink rate=16000 channels=1",
                    f"--log-target=file:{runtime}/pulse.log"], env=env, check=True, timeout=30)
    for _ in range(100):
        if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run(["pactl", "set-default-sink", "vsink"], env=env, check=True)
    subprocess.run(["pactl", "set-default-source", "vsink.monitor"], env=env, check=True)
    saved = {k: os.environ.get(k) for k in ("XDG_RUNTIME_DIR", "HOME")}
    os.environ.update(XDG_RUNTIME_DIR=str(runtime), HOME=str(runtime))
    sd = sys.modules.get("sounddevice")
    if sd is not None:  # PortAudio lists devices when initialised: look again now pulse runs
        sd._terminate()
        sd._initialize()
    try:
        yield Pulse(env)
    finally:
        pid = int((runtime / "pulse" / "pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if sd is not None or "sounddevice" in sys.modules:
            sys.modules["sounddevice"]._terminate()
            sys.modules["sounddevice"]._initialize()


# -- generated media --------------------------------------------------------------------------
def moving_square(n: int, width: int, height: int) -> np.ndarray:
    img = np.zeros((height, width, 3), dtype=np.uint8)
    img[..., 2] = 60  # dark blue background
    x = (n * 8) % (width - 40)
    img[height // 2 - 20:height // 2 + 20, x:x + 40] = (250, 250, 250)
    return img


@pytest.fixture(scope="session")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s, 320x240, 15 fps MPEG-4: a white square moving over dark blue."""
    import av

    path = tmp_path_factory.mktemp("media") / "square.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=15)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for n in range(30):
            frame = av.VideoFrame.from_ndarray(moving_square(n, 320, 240), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def write_audio(path: Path, samples: np.ndarray, rate: int, codec: str) -> Path:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        fmt = "s16" if codec in ("pcm_s16le", "flac") else "flt"
        data = (samples * 32767).astype(np.int16) if fmt == "s16" else samples.astype(np.float32)
        frame = av.AudioFrame.from_ndarray(data[None, :], format=fmt, layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def tone_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """2 s of a 1 kHz tone at 44.1 kHz as WAV and FLAC (a rate the featurizer must resample from)."""
    d = tmp_path_factory.mktemp("audio")
    t = np.arange(88200) / 44100
    y = 0.5 * np.sin(2 * np.pi * 1000 * t)
    return {"wav": write_audio(d / "tone.wav", y, 44100, "pcm_s16le"),
            "flac": write_audio(d / "tone.flac", y, 44100, "flac")}


# -- MJPEG server -----------------------------------------------------------------------------
def jpeg(image: np.ndarray) -> bytes:
    import av

    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = image.shape[1], image.shape[0], "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuvj420p")
    return b"".join(bytes(p) for p in ctx.encode(frame))


class MjpegServer:
    """Serves ``frames`` JPEGs per connection at ``fps`` (then closes: a camera that drops)."""

    def __init__(self, frames: int = 1000, fps: float = 20.0) -> None:
        self.frames, self.fps = frames, fps
        self.connections = 0
        self.jpegs = [jpeg(moving_square(n, 320, 240)) for n in range(10)]
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.connections += 1
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                deadline = time.monotonic() + 60
                try:
                    for n in range(server.frames):
                        if server.stopping or time.monotonic() > deadline:
                            break
                        body = server.jpegs[n % len(server.jpegs)]
                        self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body + b"\r\n")
                        time.sleep(1.0 / server.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.stopping = False
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/stream"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopping = True
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def mjpeg_server() -> Iterator[Callable[..., MjpegServer]]:
    servers: list[MjpegServer] = []

    def make(**kwargs: Any) -> MjpegServer:
        servers.append(MjpegServer(**kwargs))
        return servers[-1]

    yield make
    for s in servers:
        s.close()
