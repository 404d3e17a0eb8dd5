"""Decide, reward and events over HTTP on a real uvicorn: durable answers, clear 4xx for bad input."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.api.conftest import Running, start_daemon

CONTEXT = {"room": {"sound_db": 0.4, "brightness": 0.7}, "time": {"h13": 1.0}}


def test_decide_then_reward_then_see_it_in_events(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        r = c.post("/api/decide", json={"context": CONTEXT, "event_id": "api-e1"})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["event_id"] == "api-e1" and d["action"] in {p["action"] for p in d["pmf"]}
        assert abs(sum(p["probability"] for p in d["pmf"]) - 1) < 1e-6 and d["model_version"] >= 0
        r = c.post("/api/reward", json={"event_id": "api-e1", "reward": 1.0, "reward_id": "r1"})
        assert r.status_code == 202 and r.json() == {"event_id": "api-e1", "status": "accepted", "durable": True}
        r = c.post("/api/reward", json={"event_id": "api-e1", "reward": 1.0, "reward_id": "r1"})
        assert r.status_code == 200 and r.json()["status"] == "duplicate"
        events = c.get("/api/events", params={"limit": 200}).json()["events"]
        mine = next(e for e in events if e["event_id"] == "api-e1")
        assert mine["status"] == "pending" and mine["rewards_so_far"] == [1.0]
        deadline = time.monotonic() + 10
        while mine["status"] != "joined":
            assert time.monotonic() < deadline, mine
            time.sleep(0.2)
            mine = next(e for e in c.get("/api/events", params={"limit": 200}).json()["events"] if e["event_id"] == "api-e1")
        assert mine["reward"] == 1.0 and mine["outcome"] == "on_time"


def test_decide_without_context_uses_the_sensors_and_a_subset_of_actions(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        actions = c.get("/api/status").json()["actions"]
        d = c.post("/api/decide", json={}).json()
        assert d["action"] in actions
        d = c.post("/api/decide", json={"actions": actions[:2]}).json()
        assert [p["action"] for p in d["pmf"]] == actions[:2]


def test_bad_input_gets_a_4xx_that_says_what_to_fix(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        r = c.post("/api/decide", json={"context": {"bad name": {"x": 1}}})
        assert r.status_code == 422 and "context" in r.json()["detail"]
        r = c.post("/api/decide", content=b'{"context": {"a": {"x": NaN}}}', headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "finite" in r.json()["detail"]
        r = c.post("/api/decide", json={"actions": ["no-such-action"]})
        assert r.status_code == 422 and "unknown action" in r.json()["detail"]
        c.post("/api/decide", json={"event_id": "dup-1"}).raise_for_status()
        r = c.post("/api/decide", json={"event_id": "dup-1"})
        assert r.status_code == 422 and "already used" in r.json()["detail"]
        r = c.post("/api/reward", json={"event_id": "never-decided", "reward": 1})
        assert r.status_code == 404 and "unknown event id 'never-decided'" in r.json()["detail"]
        r = c.post("/api/reward", json={"event_id": "x", "reward": 1e300})
        assert r.status_code == 422 and "reward" in r.json()["detail"]
        r = c.post("/api/decide", content=b"{not json", headers={"Content-Type": "application/json"})
        assert r.status_code == 422
        r = c.post("/api/decide", content=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and "larger than" in r.json()["detail"]
        assert c.get("/api/events", params={"limit": 0}).status_code == 422


def test_every_endpoint_but_healthz_needs_the_token(shared_daemon: Running) -> None:
    with shared_daemon.client(auth=False) as c:
        assert c.get("/healthz").status_code == 200
        for method, path in [("GET", "/api/status"), ("POST", "/api/decide"), ("POST", "/api/reward"), ("GET", "/api/events"),
                             ("GET", "/api/model"), ("PUT", "/api/model"), ("GET", "/api/config"), ("PUT", "/api/config"),
                             ("GET", "/metrics"), ("GET", "/api/stream"), ("GET", "/openapi.json"), ("GET", "/docs"),
                             ("GET", "/api/preview/cam")]:
            r = c.request(method, path, json={} if method != "GET" else None)
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers["www-authenticate"] == "Bearer"
        assert c.get("/api/status", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "access-control-allow-origin" not in c.get("/healthz", headers={"Origin": "http://evil.example"}).headers


def test_login_gives_an_httponly_strict_session_cookie(shared_daemon: Running) -> None:
    with httpx.Client(base_url=shared_daemon.base, timeout=10) as c:
        assert c.post("/api/login", json={"token": "wrong"}).status_code == 401
        r = c.post("/api/login", json={"token": shared_daemon.token})
        assert r.status_code == 204
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert c.get("/api/status").status_code == 200  # the cookie is enough
        assert c.get("/").status_code == 200 and "Raspberry Wabbit" in c.get("/").text
        c.post("/api/logout")
        assert c.get("/api/status").status_code == 401


def test_startup_is_fast_and_status_has_the_snapshot(shared_daemon: Running) -> None:
    assert shared_daemon.startup_s < 10  # < 3 s on an idle machine; CI shares 2 cores with other tests
    with shared_daemon.client() as c:
        s = c.get("/api/status").json()
        assert s["mode"] == "simulated" and {"loop", "rates", "host", "workers", "devices"} <= set(s)
        assert {"sources-decide", "join-learn", "stats", "heap", "watchdog"} <= set(s["workers"])
        assert all(w["alive"] for w in s["workers"].values())


def test_a_plain_decision_service_decides_only_when_asked(tmp_path: Path) -> None:
    """`simulation: null`: no simulated world mixes its decisions into the application's."""
    running = start_daemon(tmp_path, "simulation: null\njoin: {reward_wait_s: 1}\npolicy:\n  actions: [{id: a}, {id: b}]\n")
    try:
        with running.client() as c:
            time.sleep(1.0)
            status = c.get("/api/status").json()
            assert status["mode"] == "service" and status["state"] == "running"
            assert status["loop"]["join"]["decisions"] == 0 and "simulation" not in status
            d = c.post("/api/decide", json={"context": {"pixels": {"p0": 0.5}}}).json()
            assert d["action"] in ("a", "b")
            status = c.get("/api/status").json()
            assert status["loop"]["join"]["decisions"] == 1
            assert status["loop"]["policy"]["interactions"]["active"] == ["pixels x Action"]
            assert {"actuators", "stream", "mqtt-stats"}.isdisjoint(status["observers"])  # none configured, none subscribed
    finally:
        out = running.stop()
    assert running.proc.returncode == 0, out


def test_numbers_must_be_json_numbers_not_strings_or_booleans(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        for value in ("1", True):
            r = c.post("/api/decide", json={"context": {"a": {"x": value}}})
            assert r.status_code == 422 and "context.a.x" in r.json()["detail"], r.text
            r = c.post("/api/reward", json={"event_id": "any", "reward": value})
            assert r.status_code == 422 and "body.reward" in r.json()["detail"], r.text
        for value in (1, 0.5):
            d = c.post("/api/decide", json={"context": {"a": {"x": value}}})
            assert d.status_code == 200, d.text
            r = c.post("/api/reward", json={"event_id": d.json()["event_id"], "reward": value})
            assert r.status_code == 202, r.text
