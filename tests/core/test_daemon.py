"""`wabbit run` with no config: simulated devices, /healthz and /api/status on a real uvicorn, clean SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.conftest import free_port


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_daemon_serves_learns_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "fast.yaml"
    config.write_text("join:\n  reward_wait_s: 1\nsimulation:\n  decision_every_s: 0.05\n  delay:\n    mean_s: 0.2\n")
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "run", "--config", str(config), "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                status, body = get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() - started < 60, "daemon did not answer within 60 s"
                time.sleep(0.05)
        startup = time.monotonic() - started
        assert (status, body) == (200, {"status": "ok"})
        token_file = tmp_path / "data" / "token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        assert get(f"{base}/api/status")[0] == 401
        assert get(f"{base}/api/status", "wrong")[0] == 401
        deadline = time.monotonic() + 20
        while True:
            status, body = get(f"{base}/api/status", token)
            assert status == 200
            if body["loop"]["learned"] >= 20:
                break
            assert time.monotonic() < deadline, body
            time.sleep(0.2)
        assert body["mode"] == "simulated" and body["workers"]["join-learn"]["alive"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert token in out  # printed once, at first start
    assert "stopped cleanly" in out
    assert list((tmp_path / "data" / "checkpoints").glob("model-*.json"))
    assert startup < 60  # about 1-3 s here when the machine is idle (README); CI shares two cores


def test_a_sigterm_during_start_up_stops_the_daemon_cleanly_once_started(tmp_path: Path) -> None:
    """systemd or docker may stop the daemon while it starts (recovering, loading its model): it used to die at once
    (no final sync, checkpoint or sink drain); now it finishes starting, then stops as a SIGTERM later would."""
    data = tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--port", str(free_port()), "--data-dir", str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while not (data / "token").exists():  # made at the start of run(), before the loop, its model and the API
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    assert "ready in" in out and "stopped cleanly (signal [15])" in out, out
