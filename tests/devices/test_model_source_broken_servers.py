"""An http model source against servers that break: a download cut short (with an ETag or a Last-Modified, which a
later look would send back and get a 304 for) and an answer that is not HTTP are failures to look, retried, never a
model taken or a traceback."""

from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

from appliance.config.model_source import HTTPModelSourceConfig
from appliance.model_sources.base import ModelSourceError
from appliance.model_sources.http import HTTPModelSource


def serving(answers: list[bytes]) -> Iterator[str]:
    """A URL on 127.0.0.1 whose server answers each request with the next of ``answers`` (the last one again), then closes."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        for i in range(1000):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answers[min(i, len(answers) - 1)])

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/model.vw"
    finally:
        listener.close()


MODEL = b"m" * 1000
CUT = b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: "v1"\r\nLast-Modified: Sun, 06 Dec 2026 17:00:00 GMT\r\n\r\n' + MODEL[:10]
WHOLE = b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: "v1"\r\nLast-Modified: Sun, 06 Dec 2026 17:00:00 GMT\r\n\r\n' + MODEL


@pytest.fixture
def cut_then_whole() -> Iterator[str]:
    yield from serving([CUT, WHOLE])


@pytest.fixture
def not_http() -> Iterator[str]:
    yield from serving([b"\x00\x00\x12\x04 this is no HTTP server\r\n\r\n"])


def test_a_download_cut_short_is_retried_not_taken_and_the_whole_model_comes_next(cut_then_whole: str) -> None:
    source = HTTPModelSource(HTTPModelSourceConfig(type="http", url=cut_then_whole, timeout_s=5))
    with pytest.raises(ModelSourceError, match="cut short: 10 of 1000 bytes"):
        source.fetch()
    update = source.fetch()  # no If-None-Match of the cut download's ETag: the whole model, not a 304
    assert update is not None and update.data == MODEL


def test_a_server_that_does_not_speak_http_is_a_failure_to_look(not_http: str) -> None:
    source = HTTPModelSource(HTTPModelSourceConfig(type="http", url=not_http, timeout_s=5))
    with pytest.raises(ModelSourceError, match="not an HTTP answer"):
        source.fetch()


@pytest.fixture
def dripping() -> Iterator[str]:
    """A server that sends the headers of a 40-byte model at once, then a byte every 0.1 s: each read within any
    socket timeout, the whole far beyond one of 0.5 s."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n")
            for _ in range(40):
                time.sleep(0.1)
                try:
                    conn.sendall(b"m")
                except OSError:
                    return

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/model.vw"
    finally:
        listener.close()


def test_timeout_s_bounds_the_whole_download_not_each_read(dripping: str) -> None:
    source = HTTPModelSource(HTTPModelSourceConfig(type="http", url=dripping, timeout_s=0.5))
    started = time.monotonic()
    with pytest.raises(ModelSourceError, match=r"did not arrive within timeout_s \(0.5 s\)"):
        source.fetch()
    assert time.monotonic() - started < 2
