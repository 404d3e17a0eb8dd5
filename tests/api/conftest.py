"""A real ``wabbit run`` on 127.0.0.1 for the API tests: started as a subprocess, stopped with SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.conftest import free_port

FAST = "join:\n  reward_wait_s: 1\nsimulation:\n  decision_every_s: 0.1\n  delay:\n    mean_s: 0.2\n"


@dataclass
class Running:
    proc: subprocess.Popen[str]
    base: str
    data_dir: Path
    token: str
    startup_s: float
    log: Path
    """The daemon's stdout and stderr: a file, never a pipe, which a chatty daemon would fill and block on."""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def client(self, auth: bool = True) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def stop(self, sig: int = signal.SIGTERM) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:  # where it hangs: SIGABRT makes faulthandler print every thread's stack
            self.proc.send_signal(signal.SIGABRT)
            self.proc.wait(timeout=10)
            raise AssertionError(f"the daemon did not stop within {STOP_S} s of signal {sig}; its threads, at the end "
                                 f"of its log:\n{self.output()[-20_000:]}") from None
        return self.output()


STOP_S = 30
"""How long a daemon may take to stop after SIGTERM (it takes well under a second)."""

START_S = 60
"""How long a daemon may take to answer /healthz (it takes 1-3 s; a machine busy with other work, far longer)."""


def start_daemon(tmp_path: Path, config_text: str | None = FAST, data_dir: Path | None = None,
                 port: int | None = None, extra: list[str] | None = None, command: tuple[str, ...] = ("run",)) -> Running:
    """``wabbit run`` (or another ``command`` that runs the daemon, e.g. ``model serve BUNDLE``), healthy."""
    port = port or free_port()
    data_dir = data_dir or tmp_path / "data"
    args = [sys.executable, "-m", "appliance", *command, "--port", str(port), "--data-dir", str(data_dir), *(extra or [])]
    if config_text is not None:
        config = tmp_path / "config.yaml"
        config.write_text(config_text)
        args += ["--config", str(config)]
    started = time.monotonic()
    log = tmp_path.parent / f"{tmp_path.name}.daemon-{port}.log"  # beside tmp_path: tests list what is in it
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1",
                                     "PYTHONFAULTHANDLER": "1"})
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(timeout=2) as poll:  # one client: each new one loads the CA bundle (~0.5 s of CPU when busy)
        while True:
            try:
                if poll.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() - started > START_S:
                proc.kill()
                proc.wait(timeout=10)
                raise AssertionError(f"daemon did not answer /healthz within {START_S} s:\n{log.read_text(errors='replace')}")
            time.sleep(0.02)
    startup = time.monotonic() - started
    return Running(proc, base, data_dir, (data_dir / "token").read_text().strip(), startup, log)


@contextmanager
def daemon_running(tmp_path: Path, config_text: str | None = FAST, **options: Any) -> Iterator[Running]:
    """:func:`start_daemon` for a ``with`` block, stopped at its end by SIGTERM, which it must survive cleanly
    (exit status 0, no traceback)."""
    running = start_daemon(tmp_path, config_text, **options)
    try:
        yield running
    finally:
        out = running.stop()
        assert running.proc.returncode == 0 and "Traceback" not in out, out


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Running]:
    with daemon_running(tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One daemon for the read-mostly tests of a module (start-up costs ~1-2 s each)."""
    with daemon_running(tmp_path_factory.mktemp("shared")) as running:
        yield running
