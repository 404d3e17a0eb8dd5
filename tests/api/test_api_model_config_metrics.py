"""Model download/upload, config read/write, Prometheus metrics and the live stream, over real HTTP."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator

import httpx

from tests.api.conftest import Running


def test_model_round_trip_and_bad_uploads_change_nothing(daemon: Running) -> None:
    with daemon.client() as c:
        r = c.get("/api/model")
        assert r.status_code == 200 and r.headers["content-type"] == "application/octet-stream"
        model, digest = r.content, r.headers["x-model-sha256"]
        assert len(model) > 100 and int(r.headers["x-model-version"]) >= 0 and digest == hashlib.sha256(model).hexdigest()
        version = c.get("/api/status").json()["loop"]["model_version"]
        for bad in (b"garbage" * 100, model[: len(model) // 2]):
            r = c.put("/api/model", content=bad, headers={"X-Model-SHA256": hashlib.sha256(bad).hexdigest()})
            assert r.status_code == 422, r.text
            assert "cannot use this model" in r.json()["detail"]
        for cut in (1, 4, 16, 54, 133):  # cut short on the way: its declared digest is the whole file's
            r = c.put("/api/model", content=model[:-cut], headers={"X-Model-SHA256": digest})
            assert r.status_code == 422 and "cut short" in r.json()["detail"], r.text
        r = c.put("/api/model", content=model)
        assert r.status_code == 422 and "X-Model-SHA256" in r.json()["detail"]
        assert c.put("/api/model", content=b"").status_code == 422
        assert c.get("/api/status").json()["loop"]["model_version"] >= version  # still running the old one
        r = c.put("/api/model", params={"model_version": 12345}, content=model, headers={"X-Model-SHA256": digest})
        assert r.status_code == 200, r.text
        assert r.json()["bytes"] == len(model)
        assert c.get("/api/status").json()["loop"]["model_version"] >= 12345
        assert c.post("/api/decide", json={}).status_code == 200  # decides with the uploaded model


def test_a_model_cut_short_on_disk_is_refused_though_its_digest_matches(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        model = c.get("/api/model").content
        for cut in (1, 4, 16, 54, 133):  # truncated before `sha256sum` ran: the digest proves nothing here
            part = model[:-cut]
            r = c.put("/api/model", params={"model_version": 10**9}, content=part,
                      headers={"X-Model-SHA256": hashlib.sha256(part).hexdigest()})
            assert r.status_code == 422, f"a model cut by {cut} of {len(model)} bytes was accepted: {r.text}"
            assert "truncated or corrupt" in r.json()["detail"] and "upload" in r.json()["detail"], r.text
        assert c.get("/api/status").json()["loop"]["model_version"] < 10**9  # the old model still serves
        assert c.post("/api/decide", json={}).status_code == 200


def test_model_upload_is_size_capped(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        r = c.put("/api/model", content=b"\0" * (64 * 1024 * 1024 + 1), headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 413


def test_metrics_are_prometheus_text(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        r = c.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert "# TYPE wabbit_model_version gauge" in r.text
        assert 'wabbit_worker_alive{worker="join-learn"} 1' in r.text
        assert "wabbit_up 1" in r.text


def test_stream_sends_stats_and_live_decisions(shared_daemon: Running) -> None:
    kinds: list[str] = []
    with shared_daemon.client() as c, c.stream("GET", "/api/stream") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        deadline = time.monotonic() + 10
        for line in r.iter_lines():
            if line.startswith("event: "):
                kinds.append(line[7:])
            if line.startswith("data: ") and kinds[-1] == "decision":
                assert "pmf" in json.loads(line[6:])
            if {"stats", "decision"} <= set(kinds) or time.monotonic() > deadline:
                break
    assert {"stats", "decision"} <= set(kinds), kinds


def test_config_get_put_validates_and_applies(daemon: Running) -> None:
    with daemon.client() as c:
        current = c.get("/api/config").json()
        assert "reward_wait_s" in current["yaml"] and current["error"] is None
        r = c.put("/api/config", json={"yaml": current["yaml"] + "triggers:\n  perodic_s: 2\n"})
        assert r.status_code == 422
        assert "triggers.perodic_s: unknown key" in r.json()["detail"] and "config:" in r.json()["detail"]
        r = c.put("/api/config", json={"yaml": "join: [unclosed\n"})
        assert r.status_code == 422 and "not valid YAML" in r.json()["detail"]
        new = current["yaml"] + "triggers:\n  periodic_s: 0.2\n  api: false\n"
        r = c.put("/api/config", json={"yaml": new})
        assert r.status_code == 200, r.text
        assert "sources-decide" in r.json()["restarted"] and r.json()["restart_required"] == []
        assert c.get("/api/config").json()["yaml"] == new
        r = c.post("/api/decide", json={})
        assert r.status_code == 409 and "triggers.api" in r.json()["detail"]
        r = c.put("/api/config", json={"yaml": new.replace("reward_wait_s: 1", "reward_wait_s: 2")})
        assert r.json()["restart_required"] == ["join"]
        status = c.get("/api/status").json()
        assert status["triggers"]["periodic_s"] == 0.2 and status["workers"]["sources-decide"]["alive"]


def _refs(node: object) -> Iterator[str]:
    """Every ``$ref`` in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_and_docs_with_the_token(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        spec = c.get("/openapi.json").json()
        assert {"/api/decide", "/api/reward", "/api/events", "/api/model", "/api/config", "/metrics"} <= set(spec["paths"])
        refs = set(_refs(spec))
        assert "#/components/schemas/Message" in refs and "#/components/schemas/DecideRequest" in refs
        dangling = {ref for ref in refs if ref.rpartition("/")[2] not in spec["components"]["schemas"]}
        assert not dangling, f"$refs with no component: {sorted(dangling)}"
        assert c.get("/docs").status_code == 200
    assert httpx.get(f"{shared_daemon.base}/openapi.json").status_code == 401
