"""The lean routes (decide and reward, default and named models) are answered in front of FastAPI's stack
(appliance/server/lean_routes.py): their refusals must be the app's, status, headers and body alike."""

from __future__ import annotations

from typing import Iterator

import httpx

from tests.api.conftest import Running

LEAN = [("POST", "/api/decide"), ("POST", "/api/reward"), ("POST", "/api/models/default/decide"),
        ("POST", "/api/models/default/reward")]
VARYING = {"date", "content-length"}


def same_answer(lean: httpx.Response, routed: httpx.Response) -> None:
    """The same status, header names and values (but the date) and body: what the app's stack would have sent."""
    assert lean.status_code == routed.status_code, (lean.text, routed.text)
    assert lean.json() == routed.json()
    assert {(k, v) for k, v in lean.headers.items() if k not in VARYING} == {
        (k, v) for k, v in routed.headers.items() if k not in VARYING}


def chunks(size: int) -> Iterator[bytes]:
    """A body of ``size`` bytes with no declared length (sent chunked)."""
    for _ in range(size // 65536):
        yield b" " * 65536


def test_a_lean_route_refuses_a_missing_token_as_a_routed_one_does(shared_daemon: Running) -> None:
    with shared_daemon.client(auth=False) as c:
        routed = c.get("/api/status")
        assert routed.status_code == 401 and routed.headers["www-authenticate"] == "Bearer"
        assert routed.headers["x-frame-options"] == "DENY"
        for method, path in LEAN:
            same_answer(c.request(method, path, json={}), routed)


def test_a_lean_route_refuses_an_oversized_body_as_a_routed_one_does(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        declared = c.put("/api/config", content=b" " * (2 * 1024 * 1024))
        unknown = c.put("/api/config", content=chunks(2 * 1024 * 1024))
        assert (declared.status_code, unknown.status_code) == (413, 413)
        for method, path in LEAN:
            same_answer(c.request(method, path, content=b" " * (2 * 1024 * 1024)), declared)
            same_answer(c.request(method, path, content=chunks(2 * 1024 * 1024)), unknown)


def test_a_lean_route_answers_errors_with_the_app_s_handlers(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        routed = c.get("/api/models/nope")
        assert routed.status_code == 404 and "nope" in routed.json()["detail"]
        same_answer(c.post("/api/models/nope/decide", json={}), routed)
        same_answer(c.post("/api/models/nope/reward", json={"event_id": "e", "reward": 1}), routed)
        invalid = c.post("/api/decide", json={"actions": []})
        assert invalid.status_code == 422 and invalid.json()["errors"][0]["loc"] == ["body", "actions"]
        assert invalid.headers["x-content-type-options"] == "nosniff"
        chunked = c.post("/api/decide", content=iter([b'{"event_id": ', b'"lean-chunked"}']))  # no declared length
        assert chunked.status_code == 200 and chunked.json()["event_id"] == "lean-chunked"


def test_other_methods_and_paths_still_go_to_the_app(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        assert c.get("/api/decide").status_code == 405
        assert c.post("/api/models/a/b/decide", json={}).status_code == 404
        r = c.post("/api/decide/", json={}, follow_redirects=False)
        assert r.status_code == 307 and r.headers["location"].endswith("/api/decide")
        spec = c.get("/openapi.json").json()
        assert {"/api/decide", "/api/reward", "/api/models/{name}/decide", "/api/models/{name}/reward"} <= set(spec["paths"])


def test_a_lean_answer_has_the_headers_of_a_routed_one(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        routed = c.get("/api/status")
        decided = c.post("/api/decide", json={"event_id": "lean-headers"})
        rewarded = c.post("/api/reward", json={"event_id": "lean-headers", "reward": 1})
    assert (routed.status_code, decided.status_code, rewarded.status_code) == (200, 200, 202)
    for lean in (decided, rewarded):
        assert {(k, v) for k, v in lean.headers.items() if k not in VARYING} == {
            (k, v) for k, v in routed.headers.items() if k not in VARYING}
        assert int(lean.headers["content-length"]) == len(lean.content)
