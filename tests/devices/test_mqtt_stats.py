"""``server.mqtt_stats``: a real ``wabbit run`` publishing its stats snapshot to a real mosquitto on 127.0.0.1.

``online`` on connect, the ``/api/status`` snapshot every interval, ``offline`` on SIGTERM; after ``kill -9``
the broker itself publishes the last will ``offline``. With the broker away the daemon serves on, counts the
failures in ``/api/status``, and connects once the broker is there.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from devices_support import free_port, wait_until

from tests.api.conftest import FAST, Running, start_daemon

STATUS_KEYS = {"uptime_s", "mode", "workers", "loop", "rates", "mqtt_stats"}


class Listener:
    """Every message under ``prefix/#``, as ``(topic, text)``, from a paho client subscribed before the daemon starts."""

    def __init__(self, broker: Any, prefix: str) -> None:
        self.messages: list[tuple[str, str]] = []
        self.client = broker.client(lambda topic, payload: self.messages.append((topic, payload.decode())), (f"{prefix}/#",))
        self.stats_topic, self.availability_topic = f"{prefix}/stats", f"{prefix}/availability"

    def availability(self) -> list[str]:
        return [text for topic, text in list(self.messages) if topic == self.availability_topic]

    def stats(self) -> list[dict[str, Any]]:
        return [json.loads(text) for topic, text in list(self.messages) if topic == self.stats_topic]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def config(host: str, port: int, prefix: str) -> str:
    return FAST + f"server:\n  mqtt_stats:\n    host: {host}\n    port: {port}\n    topic_prefix: {prefix}\n    interval_s: 1\n"


def retained_availability(broker: Any, prefix: str) -> str:
    """What a subscriber arriving now is told: the broker's retained availability message."""
    late = Listener(broker, prefix)
    try:
        return str(wait_until(lambda: late.availability(), what="the retained availability message")[-1])
    finally:
        late.close()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:8]}/wabbit"  # the broker outlives the test: retained messages must not mix


@pytest.fixture
def listener(mosquitto: Any, prefix: str) -> Iterator[Listener]:
    listening = Listener(mosquitto, prefix)
    yield listening
    listening.close()


def status(running: Running) -> dict[str, Any]:
    with running.client() as c:
        answer: dict[str, Any] = c.get("/api/status").json()
        return answer


def test_online_then_stats_every_interval_then_offline_on_sigterm(mosquitto: Any, listener: Listener, prefix: str, tmp_path: Path) -> None:
    running = start_daemon(tmp_path, config(mosquitto.host, mosquitto.port, prefix))
    try:
        wait_until(lambda: listener.availability() == ["online"], timeout=10, what="`online` on connect")
        stats = wait_until(lambda: len(listener.stats()) >= 3 and listener.stats(), timeout=10, what="three stats messages")
        for snapshot in stats:
            assert STATUS_KEYS <= snapshot.keys(), snapshot.keys()
            assert snapshot["mode"] == "simulated" and snapshot["observers"]["mqtt-stats"]["alive"]
        uptimes = [s["uptime_s"] for s in stats]
        assert uptimes == sorted(uptimes) and uptimes[-1] - uptimes[0] >= 1.5  # one a second, a fresh snapshot each time
        assert stats[-1]["mqtt_stats"]["connected"] and stats[-1]["mqtt_stats"]["published"] >= 2
        mqtt = status(running)["mqtt_stats"]  # the same snapshot the API serves
        assert mqtt["connected"] and mqtt["topic"] == f"{prefix}/stats" and mqtt["connect_failures"] == 0
    finally:
        out = running.stop(signal.SIGTERM)
    assert running.proc.returncode == 0, out
    wait_until(lambda: listener.availability() == ["online", "offline"], what="`offline` on SIGTERM")
    assert retained_availability(mosquitto, prefix) == "offline"


def test_kill_9_the_broker_publishes_the_last_will(mosquitto: Any, listener: Listener, prefix: str, tmp_path: Path) -> None:
    running = start_daemon(tmp_path, config(mosquitto.host, mosquitto.port, prefix))
    try:
        wait_until(lambda: listener.availability() == ["online"] and listener.stats(), timeout=10, what="online and a stats message")
    finally:
        running.stop(signal.SIGKILL)  # nothing runs in the daemon after this: only the broker can say `offline`
    assert running.proc.returncode == -signal.SIGKILL
    wait_until(lambda: listener.availability() == ["online", "offline"], timeout=10, what="the last will `offline`")
    assert retained_availability(mosquitto, prefix) == "offline"


class Relay:
    """A TCP relay from ``127.0.0.1:port`` to the broker: the broker is "down" for a client until ``open()``."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self._sockets: list[socket.socket] = []

    def open(self) -> None:
        server = socket.create_server(("127.0.0.1", self.port))
        self._sockets.append(server)
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                near, _ = server.accept()
            except OSError:
                return  # closed
            far = socket.create_connection(self.target)
            self._sockets += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        for s in self._sockets:
            s.close()


def test_broker_down_at_start_the_daemon_serves_counts_failures_and_connects_later(
        mosquitto: Any, listener: Listener, prefix: str, tmp_path: Path) -> None:
    relay = Relay(free_port(), (mosquitto.host, mosquitto.port))
    running = start_daemon(tmp_path, config("127.0.0.1", relay.port, prefix))
    try:
        with running.client(auth=False) as c:
            assert c.get("/healthz").status_code == 200
        mqtt = wait_until(lambda: status(running)["mqtt_stats"]["connect_failures"] >= 1 and status(running)["mqtt_stats"],
                          what="a connection failure counted in /api/status")
        assert not mqtt["connected"] and f"127.0.0.1:{relay.port}" in mqtt["last_error"], mqtt
        assert status(running)["observers"]["mqtt-stats"]["alive"] and listener.messages == []
        with running.client() as c:  # the loop is not held up either
            assert c.post("/api/decide", json={}).status_code == 200
        relay.open()  # the broker comes up: paho's next try (backoff 1 s, 2 s, 4 s, ... at most 30 s) finds it
        wait_until(lambda: listener.availability() == ["online"] and listener.stats(), timeout=40, what="online once the broker is up")
        mqtt = status(running)["mqtt_stats"]
        assert mqtt["connected"] and mqtt["skipped"] >= 1, mqtt  # stale stats were not queued while it was away
    finally:
        out = running.stop(signal.SIGTERM)
        relay.close()
    assert running.proc.returncode == 0, out
