"""``wabbit run`` on a data directory whose disk fills up (a 4 MiB tmpfs): refusals say where and what to do, the
status, ``/healthz`` and the log say so, reads go on, and it goes on by itself, with everything acknowledged, once
there is room."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.conftest import FAST, start_daemon
from tests.api.test_event_history import until
from tests.conftest import free_port
from tests.small_disk import fill, small_disk

__all__ = ["small_disk"]
CONTEXT = {"u": {f"f{i}": 1.0 for i in range(200)}}


def test_a_full_disk_is_refused_with_where_and_what_to_do_and_said_until_it_has_room(tmp_path: Path, small_disk: Path) -> None:
    running = start_daemon(tmp_path, FAST, data_dir=small_disk)
    try:
        with running.client() as client:
            acked = [f"before{i}" for i in range(3)]
            for event_id in acked:
                assert client.post("/api/decide", json={"context": CONTEXT, "event_id": event_id}).status_code == 200
            filler = fill(small_disk)
            disk = until(lambda: (s := client.get("/api/status").json()["disk"])["full"] and s, "status says the disk is full", 30)
            assert str(small_disk) in disk["message"] and "Free space" in disk["message"]
            assert httpx.get(f"{running.base}/healthz").json() == {"status": "disk full"}
            refused = None
            for i in range(200):
                answer = client.post("/api/decide", json={"context": CONTEXT, "event_id": f"full{i}"})
                if answer.status_code != 200:
                    refused = f"full{i}"
                    break
                acked.append(f"full{i}")
            assert refused is not None and answer.status_code == 503, answer.text
            assert f"the data directory {small_disk} is full" in answer.json()["detail"], answer.text
            assert client.get("/api/events").status_code == 200  # reads go on
            upload = client.put("/api/model", content=b"\0" * 300_000)
            assert upload.status_code == 507 and f"data directory {small_disk} (No space left" in upload.text, upload.text
            assert list(small_disk.glob("*.upload")) == []  # was: a 500, "Internal Server Error"
            filler.unlink()
            until(lambda: not client.get("/api/status").json()["disk"]["full"], "status says there is room again", 30)
            assert httpx.get(f"{running.base}/healthz").json() == {"status": "ok"}
            assert client.post("/api/decide", json={"context": CONTEXT, "event_id": refused}).status_code == 200
            acked.append(refused)
        assert "has room again" in running.output()
        running.stop(signal.SIGKILL)
        again = start_daemon(tmp_path, FAST, data_dir=small_disk)
        try:
            with again.client() as client:
                assert [e for e in acked if client.get(f"/api/events/{e}").status_code != 200] == []
        finally:
            again.stop()
    finally:
        running.stop(signal.SIGKILL)


def test_a_first_start_on_a_full_disk_refuses_to_run_with_a_token_it_could_not_save(tmp_path: Path, small_disk: Path) -> None:
    fill(small_disk)
    done = subprocess.run([sys.executable, "-m", "appliance", "run", "--port", str(free_port()), "--data-dir", str(small_disk / "data")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr  # was: a traceback (OSError)
    assert f"{small_disk / 'data' / 'token'}: cannot save the new access token (No space left on device)" in done.stderr, done.stderr
    assert "free space on that disk" in done.stderr and "Access token" not in done.stdout
    assert sorted(p.name for p in (small_disk / "data").iterdir()) == ["lock"]  # no token, no temp file left



def test_a_restart_on_a_full_disk_runs_the_loop_by_itself_once_the_disk_has_room(tmp_path: Path, small_disk: Path) -> None:
    start_daemon(tmp_path, FAST, data_dir=small_disk).stop()
    filler = fill(small_disk)
    again = start_daemon(tmp_path, FAST, data_dir=small_disk)  # a Pi restarted on its full SD card
    try:
        with again.client() as client:
            status = until(lambda: (s := client.get("/api/status").json())["disk"]["full"] and s, "status says the disk is full", 30)
            assert status["state"] == "safe" and "the loop could not start" in status["config_error"]
            filler.unlink()
            until(lambda: client.get("/api/status").json()["state"] == "running", "the loop runs", 30)  # was: safe until a PUT
            assert client.post("/api/decide", json={"context": CONTEXT}).status_code == 200
        assert "the loop started, now that the data directory's disk has room" in again.output()
    finally:
        again.stop()
