"""The history survives a restart: `GET /api/events/{event_id}` answers from memory or the event log, the recent
events and the counters come back, and a late reward is shown with what became of it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import httpx

from tests.api.conftest import FAST, start_daemon


def until(check: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def event(c: httpx.Client, event_id: str) -> dict[str, Any]:
    r = c.get(f"/api/events/{event_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_one_event_from_decision_to_late_reward_and_across_a_restart(tmp_path: Path) -> None:
    running = start_daemon(tmp_path)
    with running.client() as c:
        assert c.post("/api/decide", json={"context": {"room": {"x": 0.5}}, "event_id": "hist-1"}).status_code == 200
        assert c.post("/api/reward", json={"event_id": "hist-1", "reward": 1.0, "reward_id": "r1"}).status_code == 202
        pending = event(c, "hist-1")
        assert pending["state"] == "pending" and [r["value"] for r in pending["rewards"]] == [1.0]
        learned = until(lambda: (e := event(c, "hist-1"))["state"] == "learned" and e, "the join")
        assert (learned["reward"], learned["outcome"], learned["found_in"]) == (1.0, "on_time", "memory")
        assert c.post("/api/reward", json={"event_id": "hist-1", "reward": 0.25, "reward_id": "r2"}).json()["status"] == "late"
        late = until(lambda: (e := event(c, "hist-1"))["late_rewards"] and e["late_rewards"][0]["handled"] == "logged" and e,
                     "the late reward logged")
        assert late["late_rewards"][0]["value"] == 0.25 and late["late_rewards"][0]["reward_id"] == "r2"
        before = c.get("/api/status").json()["loop"]["learned"]
        assert c.get("/api/events/nobody-knows").status_code == 404
        assert c.get("/api/events/not%20an%20id").status_code == 422
    assert running.stop() and running.proc.returncode == 0

    again = start_daemon(tmp_path, FAST.replace("decision_every_s: 0.1", "decision_every_s: 30"), data_dir=running.data_dir)
    try:
        with again.client() as c:
            assert c.get("/api/status").json()["loop"]["learned"] >= before  # counted on, not from zero
            assert c.get("/api/events", params={"limit": 200}).json()["events"]  # the recent history is back
            after = event(c, "hist-1")
            assert (after["state"], after["reward"]) == ("learned", 1.0)
            assert [(r["value"], r["handled"]) for r in after["late_rewards"]] == [(0.25, "logged")]
    finally:
        out = again.stop()
    assert again.proc.returncode == 0, out
