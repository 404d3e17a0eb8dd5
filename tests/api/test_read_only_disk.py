"""``wabbit run`` on an SD card whose ext4 file system the kernel remounts read-only after an I/O error (Raspberry Pi
OS mounts its root with ``errors=remount-ro``): the status, ``/healthz``, the refusals and the log say so and what to
do (not "is the disk full?", not tracebacks), and what was acknowledged before is there after a reboot."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.api.conftest import FAST, start_daemon
from tests.api.test_event_history import until
from tests.small_disk import card_error, card_reboot, sd_card

__all__ = ["sd_card"]
CONTEXT = {"u": {"f": 1.0}}


def test_a_card_remounted_read_only_is_said_everywhere_and_keeps_what_was_acknowledged(tmp_path: Path, sd_card: Path) -> None:
    data = sd_card / "data"
    running = start_daemon(tmp_path, FAST, data_dir=data)
    try:
        with running.client() as client:
            acked = [f"before{i}" for i in range(3)]
            for event_id in acked:
                assert client.post("/api/decide", json={"context": CONTEXT, "event_id": event_id}).status_code == 200
            card_error(sd_card)
            disk = until(lambda: (s := client.get("/api/status").json()["disk"])["read_only"] and s, "status says read-only", 30)
            assert f"the file system of the data directory {data} is read-only" in disk["message"] and not disk["full"]
            assert httpx.get(f"{running.base}/healthz").json() == {"status": "read-only"}  # was: "ok"
            answer = client.post("/api/decide", json={"context": CONTEXT, "event_id": "after"})
            assert answer.status_code == 503 and "its file system is read-only" in answer.json()["detail"], answer.text
            until(lambda: "worker join-learn failed" in running.output(), "learning said to fail", 30)
        said = running.output()
        assert "Traceback" not in said and "is the disk full" not in said, said  # was: a traceback every backoff
        assert "read-only" in said
    finally:
        running.stop(signal.SIGKILL)
    card_reboot(sd_card)
    again = start_daemon(tmp_path, FAST, data_dir=data)
    try:
        with again.client() as client:
            assert [e for e in acked if client.get(f"/api/events/{e}").status_code != 200] == []
            assert client.get("/api/status").json()["disk"]["read_only"] is False
    finally:
        again.stop()
