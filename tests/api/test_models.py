"""Several models in one daemon (issue 16, part 2): a vw model made from VW arguments and a loop model made from a
config, beside the default one; each predicts, learns, reports VW's statistics, exports, loads, rolls back, and
survives kill -9 with what it acknowledged."""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.api.conftest import FAST, Running, start_daemon
from tests.browser import console_errors, log_in, needs_chromium, with_held_answers

NEWS = "simulation: null\njoin: {reward_wait_s: 30}\npolicy:\n  actions: [{id: sports}, {id: politics}]\n"
RATINGS = ["1 | sunny warm", "2 | rain cold", "3 | snow freezing", "1 | sunny hot", "2 | rain wet"]


def dsjson_line(event_id: str, action: int, reward: float) -> str:
    return json.dumps({"EventId": event_id, "_label_cost": -reward, "_label_probability": 0.5, "_labelIndex": action,
                       "_label_Action": action + 1, "a": [action + 1, 2 - action], "p": [0.5, 0.5],
                       "c": {"user": {"young": 1.0}, "_multi": [{"_id": "sports"}, {"_id": "politics"}]}})


def ok(response: httpx.Response, status: int = 200) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    return response.json() if response.content else {}  # type: ignore[no-any-return]


@pytest.fixture
def running(tmp_path: Path) -> Running:
    return start_daemon(tmp_path, FAST)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One daemon for the tests of bad requests, with a vw model and a loop model."""
    daemon = start_daemon(tmp_path_factory.mktemp("models"), FAST)
    try:
        with daemon.client() as c:
            ok(c.post("/api/models", json={"name": "ratings", "vw_arguments": "--oaa 3"}), 201)
            ok(c.post("/api/models", json={"name": "news", "config_yaml": NEWS}), 201)
        yield daemon
    finally:
        daemon.stop()


def test_a_vw_model_and_a_loop_model_beside_the_default_one(running: Running, tmp_path: Path) -> None:
    try:
        with running.client() as c:
            assert [m["name"] for m in ok(c.get("/api/models"))] == ["default"]
            ok(c.post("/api/models", json={"name": "ratings", "vw_arguments": "--oaa 3"}), 201)
            ok(c.post("/api/models", json={"name": "news", "config_yaml": NEWS}), 201)
            assert [(m["name"], m["kind"], m["ready"]) for m in ok(c.get("/api/models"))] == [
                ("default", "loop", True), ("news", "loop", True), ("ratings", "vw", True)]

            # the vw model: learn, predict, statistics, versions, export, upload, roll back
            for _ in range(20):
                assert ok(c.post("/api/models/ratings/learn", json={"format": "text", "examples": RATINGS}))["learned"] == 5
            predictions = ok(c.post("/api/models/ratings/predict", json={"format": "text", "examples": ["| snow", "| sunny"]}))
            assert predictions["predictions"] == [{"type": "multiclass", "value": 3}, {"type": "multiclass", "value": 1}]
            stats = ok(c.get("/api/models/ratings/statistics"))
            assert stats["examples"] == 100 and stats["weighted_examples"] == 100 and stats["nonzero_weights"] > 0
            assert stats["features"] == 100 * 3 and 0 <= stats["average_loss"] < 0.5  # two features and the constant
            exported = c.get("/api/models/ratings/model")
            assert exported.status_code == 200 and hashlib.sha256(exported.content).hexdigest() == exported.headers["X-Model-SHA256"]
            first = int(exported.headers["X-Model-Version"])
            ok(c.post("/api/models/ratings/learn", json={"format": "text", "examples": ["2 | snow"] * 50}))
            assert ok(c.post("/api/models/ratings/predict", json={"format": "text", "examples": ["| snow"]}))["predictions"][0]["value"] == 2
            back = ok(c.post("/api/models/ratings/rollback", json={"version": first}))["version"]
            assert back == first + 51  # a new version, above the others
            assert ok(c.post("/api/models/ratings/predict", json={"format": "text", "examples": ["| snow"]}))["predictions"][0]["value"] == 3
            uploaded = ok(c.put("/api/models/ratings/model?model_version=700", content=exported.content,
                                headers={"X-Model-SHA256": exported.headers["X-Model-SHA256"]}))
            versions = ok(c.get("/api/models/ratings/versions"))
            assert uploaded["model_version"] == 700 and [v["version"] for v in versions][0] == 700
            assert [(v["version"], v["origin"], v["source_version"]) for v in versions[:2]] == [
                (700, "upload", 700), (back, "rollback", first)]  # where each came from

            # the loop model: decide, reward, learn DSJSON from another logger
            decision = ok(c.post("/api/models/news/decide", json={"context": {"user": {"young": 1.0}}}))
            assert decision["action"] in ("sports", "politics")
            assert ok(c.post("/api/models/news/reward", json={"event_id": decision["event_id"], "reward": 1.0}), 202)["status"] == "accepted"
            lines = [dsjson_line(f"x{i}", i % 2, float(i % 2 == 0)) for i in range(200)]
            assert ok(c.post("/api/models/news/learn", json={"format": "dsjson", "examples": lines}))["learned"] == 200
            pmf = ok(c.post("/api/models/news/predict", json={"format": "dsjson", "examples": lines[:1]}))["predictions"][0]
            assert pmf["type"] == "action_probs" and pmf["value"][0] > pmf["value"][1]  # sports was rewarded
            adf = "shared |user young\n|Action sports\n|Action politics"
            text = ok(c.post("/api/models/news/predict", json={"format": "text", "examples": [adf]}))
            assert text["predictions"][0]["type"] == "action_probs" and len(text["predictions"][0]["value"]) == 2
            assert ok(c.get("/api/models/news/statistics"))["examples"] == 200
            pending = ok(c.post("/api/models/news/decide", json={"context": {"user": {"young": 1.0}}}))
            assert ok(c.get("/api/status"))["loop"]["join"]["decisions"] > 0  # the default model runs on, apart
    finally:
        running.stop(signal.SIGKILL)

    # kill -9: every acknowledged example, decision and reward is there after a restart
    again = start_daemon(tmp_path, FAST, data_dir=running.data_dir)
    try:
        with again.client() as c:
            assert [m["name"] for m in ok(c.get("/api/models"))] == ["default", "news", "ratings"]
            stats = ok(c.get("/api/models/ratings/statistics"))  # the uploaded model's count, as version 700
            assert (stats["model_version"], stats["examples"], stats["weighted_examples"]) == (700, 100, 100)
            assert [(v["origin"], v["source_version"]) for v in ok(c.get("/api/models/ratings/versions"))[:2]] == [
                ("upload", 700), ("rollback", first)]  # kept with the checkpoints
            assert ok(c.get("/api/models/news/statistics"))["examples"] == 200
            assert ok(c.post("/api/models/news/reward", json={"event_id": pending["event_id"], "reward": 1.0}), 202)["status"] == "accepted"
            ok(c.delete("/api/models/ratings"), 204)
            assert [m["name"] for m in ok(c.get("/api/models"))] == ["default", "news"]
        assert not (again.data_dir / "models" / "ratings").exists()
    finally:
        out = again.stop()
    assert again.proc.returncode == 0, out


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), [
    ("get", "/api/models/nope", None, 404, "no model 'nope'; models: default, news, ratings"),
    ("post", "/api/models", {"name": "Bad Name", "vw_arguments": "--oaa 3"}, 422, "name"),
    ("post", "/api/models", {"name": "x", "vw_arguments": "--oaa 3 -f out.vw"}, 422, "VW option -f touches files"),
    ("post", "/api/models", {"name": "x"}, 422, "give exactly one"),
    ("post", "/api/models", {"name": "default", "vw_arguments": "--oaa 3"}, 409, "exists already"),
    ("post", "/api/models", {"name": "x", "config_yaml": 'policy: {actions: [{id: a}, {id: b}]}\nactuators: [{type: led, pin: 17, "on": [a]}]\n'},
     422, "only the default model drives devices"),
    ("post", "/api/models", {"name": "x", "config_yaml": "policy: [oops\n"}, 422, "model x config"),
    ("post", "/api/models", {"name": "x", "config_yaml": "join: {reward_wait_s: 1}\n"}, 422, "model x config: policy.actions: Field required"),
    ("delete", "/api/models/default", None, 422, "cannot be deleted"),
])
def test_bad_requests_say_what_was_wrong(shared: Running, method: str, path: str, body: object, status: int, message: str) -> None:
    with shared.client() as c:
        response = c.request(method.upper(), path, json=body)
        assert response.status_code == status and message in response.text, response.text


def test_calls_that_do_not_fit_the_kind_of_model(shared: Running) -> None:
    with shared.client() as c:
        for path, body, status, message in (
            ("/api/models/ratings/decide", {"context": {}}, 409, "is a vw model"),
            ("/api/models/ratings/learn", {"format": "dsjson", "examples": ["{}"]}, 422, "reads VW text examples"),
            ("/api/models/news/learn", {"format": "text", "examples": ["1 | a"]}, 422, "learns DSJSON lines"),
            ("/api/models/news/learn", {"format": "dsjson", "examples": ["{not json"]}, 422, "example 0 is not a DSJSON event"),
            ("/api/models/news/learn", {"format": "dsjson", "examples": [dsjson_line("e", 0, 1).replace("sports", "golf")]}, 422,
             "undeclared action(s) golf"),
            ("/api/models/ratings/rollback", {"version": 99}, 422, "has no saved version 99"),
            ("/api/models/ratings/predict", {"format": "text", "examples": [" "]}, 422, "example 0 is empty"),
        ):
            response = c.post(path, json=body)
            assert response.status_code == status and message in response.text, (path, response.text)
        bad = c.put("/api/models/ratings/model", content=b"not a model at all, just bytes",
                    headers={"X-Model-SHA256": hashlib.sha256(b"not a model at all, just bytes").hexdigest()})
        assert bad.status_code == 422 and "cannot serve this model" in bad.text, bad.text
        model = c.get("/api/models/ratings/model").content
        for cut in (1, 4, 16):  # cut short on disk before its digest was taken
            part = model[:-cut]
            r = c.put("/api/models/ratings/model", content=part, headers={"X-Model-SHA256": hashlib.sha256(part).hexdigest()})
            assert r.status_code == 422 and "truncated or corrupt" in r.text, f"cut by {cut} of {len(model)} bytes: {r.text}"
        assert ok(c.post("/api/models/ratings/predict", json={"format": "text", "examples": ["| a"]}))["predictions"]


def test_named_decide_and_reward_check_as_fastapi_did(shared: Running) -> None:
    """Decide and reward on a named model read their body themselves (the lean path of POST /api/decide) and answer
    errors as FastAPI's dependencies did: the token (401), then the model (404), then the body (422)."""
    with httpx.Client(base_url=shared.base, timeout=10) as anonymous:
        for tail in ("decide", "reward"):
            assert anonymous.post(f"/api/models/nope/{tail}", json={"colour": 1}).status_code == 401
    with shared.client() as c:
        for tail in ("decide", "reward"):
            assert "no model" in ok(c.post(f"/api/models/nope/{tail}", json={"colour": 1}), 404)["detail"].lower()
        invalid = ok(c.post("/api/models/news/decide", json={"actions": [], "colour": 1}), 422)
        assert [e["loc"] for e in invalid["errors"]] == [["body", "actions"], ["body", "colour"]]
        assert [e["loc"] for e in ok(c.post("/api/models/news/reward", json={"reward": 1}), 422)["errors"]] == [["body", "event_id"]]
        assert "default model" in ok(c.post("/api/models/news/decide", json={"explain": True}), 422)["detail"]
        assert "is a vw model" in ok(c.post("/api/models/ratings/reward", json={"event_id": "e", "reward": 1}), 409)["detail"]
        assert "unknown event id 'e0'" in ok(c.post("/api/models/news/reward", json={"event_id": "e0", "reward": 1}), 404)["detail"]
        decision = ok(c.post("/api/models/news/decide", json={"context": {"user": {"young": 1.0}}, "event_id": "named-1"}))
        assert decision["event_id"] == "named-1" and decision["explanation"] is None and len(decision["pmf"]) == 2
        again = {"event_id": "named-1", "reward": 1.0, "reward_id": "r1"}
        assert [ok(c.post("/api/models/news/reward", json=again), 202)["status"] for _ in range(2)] == ["accepted", "duplicate"]


@needs_chromium
def test_the_dashboard_switches_between_models(shared: Running, page: Any) -> None:
    with shared.client() as c:
        ok(c.post("/api/models/ratings/learn", json={"format": "text", "examples": RATINGS}))
        first = int(c.get("/api/models/ratings/model").headers["X-Model-Version"])  # a saved version to go back to
        ok(c.post("/api/models/ratings/learn", json={"format": "text", "examples": RATINGS}))
        newest = int(c.get("/api/models/ratings/model").headers["X-Model-Version"])
    sync_api = pytest.importorskip("playwright.sync_api")
    pg, expect = page, sync_api.expect
    errors = console_errors(pg)
    pg.goto(shared.base)
    log_in(pg, shared.token)
    expect(pg.locator("#model-select option")).to_have_count(3, timeout=10_000)
    pg.select_option("#model-select", "ratings")
    expect(pg.locator("#model-view")).to_be_visible()
    expect(pg.locator("#dashboard")).to_be_hidden()
    expect(pg.locator("#model-kind")).to_have_text("a vw model: --oaa 3")
    expect(pg.locator("#model-stats")).to_contain_text("examples learned")
    row = pg.locator("#model-versions tbody tr", has=pg.locator(f"td:first-child:text-is('{first}')")).first
    row.locator("button").click()
    expect(pg.locator("#model-note")).to_have_text(f"rolled back to version {first}, now running as version {newest + 1}")  # a new one
    expect(pg.locator("#model-versions tbody tr").first).to_contain_text(f"{newest + 1}rollback ({first})")  # and where it came from
    shown = with_held_answers(pg, {"/api/models/ratings/versions": []}, """async () => {  // a refresh's, after the roll-back's
        const old = loadModel("ratings");
        await loadModel("ratings");
        releaseHeld();
        await old;
        const row = $("model-versions").tBodies[0].rows[0];
        return row ? row.cells[0].textContent : null;
    }""")
    assert shown == str(newest + 1), shown  # not the versions before the roll-back
    with_held_answers(pg, {"/rollback": {"version": newest + 9}}, f"() => {{ window.lateRollback = rollback('ratings', {first}); }}")
    pg.select_option("#model-select", "news")
    expect(pg.locator("#model-kind")).to_have_text("a loop model with a vw policy (running)")
    pg.evaluate("async () => { releaseHeld(); await window.lateRollback; }")
    expect(pg.locator("#model-note")).to_have_text("")  # what was done to ratings is not said of news
    pg.select_option("#model-select", "default")
    expect(pg.locator("#dashboard")).to_be_visible()
    assert not errors, errors
