"""Model sources against real servers on loopback: a watched file, an HTTP server with ETags (and another
appliance's /api/model; HTTPS with a self-signed certificate), a retained MQTT message. A new model is checked, then swapped in; a bad one is refused
and the running model stays."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from appliance.config.base import load_yaml_model
from appliance.config.model_source import HTTPModelSourceConfig, ModelSourceConfig
from appliance.errors import ConfigError
from appliance.events import ModelSwapped
from appliance.model_sources import ModelUpdater
from appliance.models.loop_versions import load_pulled
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
                        lambda path: check_model_file(path, policy), partial(load_pulled, loop, "test"))


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
    before = loop.policy.model_version
    shared.write_bytes(model)
    source.step(), source.step(), source.step()
    assert (source.installed, source.refused) == (1, 1)
    assert favourite(loop) == "blue" and loop.policy.model_version == before + 1  # a file says no version: the next one
    shared.write_bytes(model)  # the same model published again: a new version all the same
    os.utime(shared, ns=(time.time_ns(), shared.stat().st_mtime_ns + 1_000_000))
    source.step(), source.step()
    assert source.installed == 2 and loop.policy.model_version == before + 2
    assert [m.model_version for m, _ in loop.checkpoints.entries()][:2] == [before + 2, before + 1]
    assert loop.bus.flush() and [e.reason for e in swapped] == ["source", "source"]


def test_a_restart_does_not_install_the_same_model_again_over_what_the_loop_learned(make_loop: Any, clock: Any, tmp_path: Path) -> None:
    """Found by a soak: each `POST /api/restart` put the file the source had installed minutes before back in, as a
    new version, throwing away the events the loop had learned since."""
    blue, red = trained_model(make_loop, clock, tmp_path, "blue"), trained_model(make_loop, clock, tmp_path, "red")
    loop = make_loop(reward_wait_s=1)
    shared = tmp_path / "shared" / "current.vw"
    shared.parent.mkdir()
    shared.write_bytes(blue)
    source = updater(loop, {"type": "file", "path": str(shared)}, tmp_path)
    source.step(), source.step()
    assert source.installed == 1 and favourite(loop) == "blue"
    for i in range(200):  # the loop learns on: red pays
        d, _ = loop.decide(CONTEXT, event_id=f"after-{i}")
        loop.reward(d.event_id, 1.0 if d.action == "red" else 0.0)
        clock.advance(2)
        loop.tick()
    learned = loop.policy.model_version
    restarted = updater(loop, {"type": "file", "path": str(shared)}, tmp_path)  # the daemon restarted: a new source
    restarted.step(), restarted.step(), restarted.step()
    assert loop.policy.model_version == learned and (restarted.installed, restarted.unchanged) == (0, 1)
    shared.write_bytes(red)  # a new model published after the restart is taken
    restarted.step(), restarted.step()
    assert restarted.installed == 1 and favourite(loop) == "red" and loop.policy.model_version == learned + 1


def test_http_with_etags_and_a_digest_that_does_not_match(make_loop: Any, clock: Any, tmp_path: Path, http_server: Any) -> None:
    models = {"red": trained_model(make_loop, clock, tmp_path, "red"), "warm": trained_model(make_loop, clock, tmp_path, "warm")}
    published = {"red": "40", "warm": "12"}  # the versions the server says it runs them as
    serving = {"name": "red", "cut": 0}

    def handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        data = models[serving["name"]]
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
        if headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"ETag": etag, "X-Model-SHA256": hashlib.sha256(data).hexdigest(), "X-Model-Version": published[serving["name"]]}, \
            data[: len(data) - serving["cut"]]

    http_server.handler = handler
    loop = make_loop()
    source = updater(loop, {"type": "http", "url": f"{http_server.url}/model", "headers": {"Authorization": "Bearer t"}}, tmp_path)
    source.step()
    assert source.installed == 1 and favourite(loop) == "red" and loop.policy.model_version == 40  # the server's version
    source.step()
    assert source.installed == 1 and source.stats()["not_modified"] == 1  # 304: nothing downloaded again
    assert http_server.requests[-1]["headers"]["Authorization"] == "Bearer t"
    serving.update(name="warm", cut=8)
    source.step()
    assert source.errors == 1 and "SHA-256" in (source.last_error or "") and favourite(loop) == "red"
    serving["cut"] = 0
    source.step()
    assert source.installed == 2 and favourite(loop) == "warm" and loop.policy.model_version == 41  # 12 is below 40: the next
    published["red"], serving["name"] = "9" * 20, "red"  # above 2**62, what no API takes (nor gRPC's int64): said nothing
    source.step()
    assert source.installed == 3 and favourite(loop) == "red" and loop.policy.model_version == 42


def test_a_plain_file_server_without_etags_is_asked_if_modified_since(make_loop: Any, clock: Any, tmp_path: Path) -> None:
    """``python3 -m http.server``: Last-Modified and If-Modified-Since, no ETag. Each look used to install the same
    model again as a new version, undoing what the loop learned since."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "model.vw").write_bytes(trained_model(make_loop, clock, tmp_path, "red"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        loop = make_loop()
        source = updater(loop, {"type": "http", "url": f"http://127.0.0.1:{server.server_port}/model.vw"}, tmp_path)
        source.step()
        version = loop.policy.model_version
        source.step(), source.step()
        assert source.installed == 1 and source.stats()["not_modified"] == 2  # was: installed 3, version + 2
        assert loop.policy.model_version == version
        (served / "model.vw").write_bytes(trained_model(make_loop, clock, tmp_path, "warm"))
        os.utime(served / "model.vw", (time.time() + 5, time.time() + 5))  # HTTP dates count whole seconds
        source.step()
        assert source.installed == 2 and favourite(loop) == "warm"
    finally:
        server.shutdown()
        server.server_close()


def test_the_same_model_from_a_server_that_says_neither_etag_nor_date_is_not_installed_again(
        make_loop: Any, clock: Any, tmp_path: Path, http_server: Any) -> None:
    model = trained_model(make_loop, clock, tmp_path, "cool")
    http_server.handler = lambda method, path, headers, body: (200, {}, model)
    loop = make_loop()
    source = updater(loop, {"type": "http", "url": f"{http_server.url}/model"}, tmp_path)
    source.step(), source.step()
    assert source.installed == 1 and source.stats()["not_modified"] == 1  # was: installed twice


def test_an_install_after_a_failure_clears_the_last_error(make_loop: Any, clock: Any, tmp_path: Path, http_server: Any) -> None:
    model = trained_model(make_loop, clock, tmp_path, "cool")
    serving: dict[str, bytes | None] = {"model": None}

    def handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        data = serving["model"]
        return (404, {}, b"no model yet") if data is None else (200, {"X-Model-SHA256": hashlib.sha256(data).hexdigest()}, data)

    http_server.handler = handler
    loop = make_loop()
    source = updater(loop, {"type": "http", "url": f"{http_server.url}/model"}, tmp_path)
    source.step()
    assert source.stats()["errors"] == 1 and "404" in (source.stats()["last_error"] or "")
    serving["model"] = model
    source.step()
    stats = source.stats()
    assert (stats["installed"], stats["errors"], stats["last_error"]) == (1, 1, None) and favourite(loop) == "cool"


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


def test_https_with_a_private_ca_and_its_token(make_loop: Any, clock: Any, tmp_path: Path, https_server: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    """A self-signed server: refused against the system's CAs (counted, the old model kept, a message saying what to
    set), pulled with ``ca_file`` naming its certificate, the bearer token sent over TLS."""
    server, cert = https_server
    model = trained_model(make_loop, clock, tmp_path, "cool")
    server.handler = lambda method, path, headers, body: (
        (200, {"ETag": '"v1"'}, model) if headers.get("Authorization") == "Bearer t" else (401, {}, b""))
    loop = make_loop()
    before = favourite(loop)
    raw = {"type": "http", "url": f"{server.url}/model", "headers": {"Authorization": "Bearer t"}}
    untrusted = updater(loop, raw, tmp_path)
    with caplog.at_level(logging.WARNING, logger="appliance.model_sources.base"):
        untrusted.step()
    assert (untrusted.installed, untrusted.errors) == (0, 1) and favourite(loop) == before and server.requests == []
    assert "TLS certificate failed verification (self-signed certificate)" in caplog.text
    assert "set model_source.ca_file" in caplog.text
    trusted = updater(loop, {**raw, "ca_file": str(cert)}, tmp_path)
    trusted.step()
    assert (trusted.installed, trusted.errors) == (1, 0) and favourite(loop) == "cool"
    assert server.requests[-1]["headers"]["Authorization"] == "Bearer t"


def test_a_ca_file_is_checked_when_the_config_loads(tmp_path: Path) -> None:
    url = "https://127.0.0.1:8443/api/model"
    missing = tmp_path / "nowhere" / "ca.pem"
    with pytest.raises(ConfigError, match=f"ca_file '{missing}' is not a file"):
        load_yaml_model(HTTPModelSourceConfig, f"url: {url}\nca_file: {missing}\n", "wabbit.yaml")
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    with pytest.raises(ConfigError, match="holds no PEM CA certificate"):
        load_yaml_model(HTTPModelSourceConfig, f"url: {url}\nca_file: {tmp_path / 'junk.pem'}\n", "wabbit.yaml")
    with pytest.raises(ConfigError, match="ca_file is for https URLs"):
        load_yaml_model(HTTPModelSourceConfig, f"url: http://127.0.0.1:8080/m\nca_file: {tmp_path / 'junk.pem'}\n", "wabbit.yaml")
