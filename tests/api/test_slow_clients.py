"""Idle, half-sent and greedy connections neither starve the API nor stay open (appliance/server/serve.py).

Loopback has a whole /8: sockets bound to 127.0.0.2... act as other LAN clients of the daemon on 127.0.0.1.
"""

from __future__ import annotations

import socket
import time
from typing import Iterator

import pytest

from appliance.server.serve import BODY_IDLE_S, HEADER_TIMEOUT_S, PER_CLIENT
from tests.api.conftest import Running, daemon_running

HALF_HEADERS = b"GET /api/status HTTP/1.1\r\nHost: wabbit\r\nAuthoriz"
HALF_BODY = b"POST /api/decide HTTP/1.1\r\nHost: wabbit\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"con"
HALF_UPLOAD = "PUT /api/model HTTP/1.1\r\nHost: wabbit\r\nAuthorization: Bearer {token}\r\nContent-Length: 100000\r\n\r\nVW"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with daemon_running(tmp_path_factory.mktemp("slow")) as daemon:
        yield daemon


def connect(running: Running, source: str = "127.0.0.1", send: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", int(running.base.rsplit(":", 1)[1])), timeout=5, source_address=(source, 0))
    sock.sendall(send)
    return sock


def stream(running: Running, source: str = "127.0.0.1") -> socket.socket:
    """An authenticated ``GET /api/stream``: a connection busy with a request for as long as it stays open."""
    sock = connect(running, source, f"GET /api/stream HTTP/1.1\r\nHost: wabbit\r\nAuthorization: Bearer {running.token}\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "the live stream did not start"
    return sock


def closed_by_server(sock: socket.socket) -> bytes | None:
    """What the server sent before closing ``sock``, or None while it is still open."""
    sock.setblocking(False)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except BlockingIOError:
        return None
    except ConnectionResetError:
        pass
    return data


def well_behaved_latency(running: Running) -> float:
    started = time.monotonic()
    with running.client() as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/api/status").json()["mode"] == "simulated"
    return time.monotonic() - started


def test_idle_and_half_sent_connections_are_dropped_and_the_api_answers(running: Running) -> None:
    live = stream(running)
    opened = time.monotonic()
    same_host = [connect(running) for _ in range(200)]
    others = [connect(running, f"127.0.0.{2 + i % 10}") for i in range(50)]
    half = [connect(running, f"127.0.0.{20 + i}", send) for i, send in
            enumerate([HALF_HEADERS, HALF_HEADERS, HALF_BODY, HALF_BODY, HALF_UPLOAD.format(token=running.token).encode()])]
    try:
        assert well_behaved_latency(running) < 1.0
        time.sleep(0.5)
        still_open = [s for s in same_host if closed_by_server(s) is None]
        assert len(still_open) <= PER_CLIENT, f"{len(still_open)} idle connections from one address stay open"
        answers: dict[socket.socket, bytes] = {}
        deadline = opened + max(HEADER_TIMEOUT_S, BODY_IDLE_S) + 1.5
        while len(answers) < len(still_open + others + half) and time.monotonic() < deadline:
            answers.update((s, a) for s in still_open + others + half if s not in answers and (a := closed_by_server(s)) is not None)
            time.sleep(0.1)
        assert len(answers) == len(still_open + others + half), "idle or half-sent connections outlived their timeout"
        assert all(answers[s].startswith(b"HTTP/1.1 408 ") and b"detail" in answers[s] for s in half), [answers[s] for s in half]
        assert not any(answers[s] for s in others), "an idle connection got an answer to a request it never sent"
        live.settimeout(3)
        assert b"event: stats" in live.recv(65536), "the live stream was cut"
        assert well_behaved_latency(running) < 1.0
    finally:
        for sock in [live, *same_host, *others, *half]:
            sock.close()


def test_an_address_with_every_connection_busy_is_refused_and_others_still_served(running: Running) -> None:
    busy = [stream(running, "127.0.0.50") for _ in range(PER_CLIENT)]
    try:
        extra = connect(running, "127.0.0.50")
        extra.settimeout(3)
        answer = extra.recv(65536)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 503 ") and b"too many connections" in answer, answer
        assert well_behaved_latency(running) < 1.0
    finally:
        for sock in busy:
            sock.close()
