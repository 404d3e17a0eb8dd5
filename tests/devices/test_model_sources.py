"""Model sources against real servers on loopback: a watched file, an HTTP server with ETags (and another
appliance's /api/model), a retained MQTT message. A new model is checked, then swapped in; a bad one is refused
and the running model stays."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from appliance.config.model_source import ModelSourceConfig
from appliance.events import ModelSwapped
from appliance.model_sources import ModelUpdater
from appliance.policy.model_check import check_model_file
from appliance.registry import REGISTRY

CONTEXT = {"sensors": {"loud": 0.5}}


def trained_model(make_loop: Any, clock: Any, tmp_path: Path, favourite: str) -> bytes:
    """A model that learned to like ``favourite`` (trained in another loop)."""
    loop = make_loop(reward_wait_s=1)
    for i in range(300):
        d, _ = loop.decide(CONTEXT, event_id=f"{favourite}-{i}")
        loop.reward(d.event_id, 1.0 if d.action == favourite else 0.0)
        clock.advance(2)
        loop.tick()
    path = tmp_path / f"{favourite}.vw"
    loop.policy.save(path)
    return path.read_bytes()


def updater(loop: Any, raw: dict[str, Any], tmp_path: Path) -> ModelUpdater:
    config = TypeAdapter(ModelSourceConfig).validate_python(raw)
    policy = {"actions": [{"id": a, "features": {"colour": {a: 1.0}}} for a in loop.policy.actions]}
    return ModelUpdater(REGISTRY.build("model_sources", config, name="test"), tmp_path,
                        lambda path: check_model_file(path, policy), lambda path: loop.load_model(path, 7, reason="source"))


def favourite(loop: Any) -> str:
    pmf = loop.policy.decide(CONTEXT, f"probe-{time.monotonic_ns()}", 0.0).pmf
    return str(loop.policy.actions[max(range(len(pmf)), key=pmf.__getitem__)])


def test_a_watched_file_is_taken_once_settled_and_a_bad_one_is_refused(make_loop: Any, clock: Any, tmp_path: Path) -> None:
    model = trained_model(make_loop, clock, tmp_path, "blue")
    loop = make_loop()
    swapped: list[ModelSwapped] = []
    loop.bus.subscribe("test", swapped.append, (ModelSwapped,))
    shared = tmp_path / "shared" / "current.vw"
    shared.parent.mkdir()
    source = updater(loop, {"type": "file", "path": str(shared)}, tmp_path)
    shared.write_bytes(b"not a model at all" * 10)
    source.step(), source.step()
    assert (source.installed, source.refused) == (0, 1) and "refused" in (source.last_error or "")
    shared.write_bytes(model)
    source.step(), source.step(), source.step()
    assert (source.installed, source.refused) == (1, 1)
    assert favourite(loop) == "blue" and loop.policy.model_version == 7
    assert loop.bus.flush() and [e.reason for e in swapped] == ["source"]


def test_http_with_etags_and_a_digest_that_does_not_match(make_loop: Any, clock: Any, tmp_path: Path, http_server: Any) -> None:
    models = {"red": trained_model(make_loop, clock, tmp_path, "red"), "warm": trained_model(make_loop, clock, tmp_path, "warm")}
    serving = {"name": "red", "cut": 0}

    def handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        data = models[serving["name"]]
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"ETag": etag, "X-Model-SHA256": hashlib.sha256(data).hexdigest()}, data[: len(data) - serving["cut"]]

    http_server.handler = handler
    loop = make_loop()
    source = updater(loop, {"type": "http", "url": f"{http_server.url}/model", "headers": {"Authorization": "Bearer t"}}, tmp_path)
    source.step()
    assert source.installed == 1 and favourite(loop) == "red"
    source.step()
    assert source.installed == 1 and source.stats()["not_modified"] == 1  # 304: nothing downloaded again
    assert http_server.requests[-1]["headers"]["Authorization"] == "Bearer t"
    serving.update(name="warm", cut=8)
    source.step()
    assert source.errors == 1 and "SHA-256" in (source.last_error or "") and favourite(loop) == "red"
    serving["cut"] = 0
    source.step()
    assert source.installed == 2 and favourite(loop) == "warm"


def test_a_retained_mqtt_message(make_loop: Any, clock: Any, tmp_path: Path, mosquitto: Any) -> None:
    model = trained_model(make_loop, clock, tmp_path, "cool")
    publisher = mosquitto.client()
    publisher.publish("fleet/model", model, qos=1, retain=True).wait_for_publish(5)
    loop = make_loop()
    source = updater(loop, {"type": "mqtt", "host": mosquitto.host, "port": mosquitto.port, "topic": "fleet/model"}, tmp_path)
    try:
        deadline = time.monotonic() + 10
        while source.installed == 0:
            assert time.monotonic() < deadline, source.stats()
            source.step()
            time.sleep(0.05)
        assert favourite(loop) == "cool"
    finally:
        source.source.close()
        publisher.publish("fleet/model", b"", qos=1, retain=True).wait_for_publish(5)
        publisher.loop_stop()
        publisher.disconnect()
