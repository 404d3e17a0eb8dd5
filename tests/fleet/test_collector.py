"""The collector's bearer token: refused without it or with another (401, a message saying where it is), the
appliances' ``http`` log sink with ``token_file`` delivering batches the collector stores, and their ``http`` model
source waiting, without a warning, for the first model the central side publishes."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path
from typing import BinaryIO, Iterator

import httpx
import pytest

from appliance.config.log_sinks import HTTPSinkConfig
from appliance.config.model_source import HTTPModelSourceConfig
from appliance.fleet.collector import Collector
from appliance.fleet.files import batch_source
from appliance.model_sources import ModelUpdater
from appliance.model_sources.http import HTTPModelSource
from appliance.server.access_token import load_or_create_token
from appliance.sinks import SinkError
from appliance.sinks.base import appliance_name
from appliance.sinks.http import HTTPSink


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    token, _ = load_or_create_token(tmp_path)
    running = Collector(tmp_path / "inbox", tmp_path / "current.vw", "127.0.0.1", 0, lambda: {"join": {}}, token,
                        tmp_path / "token").start()
    yield running
    running.close()


def sink(collector: Collector, token_file: Path | None) -> HTTPSink:
    url = f"http://127.0.0.1:{collector.port}/ingest"
    return HTTPSink(HTTPSinkConfig(url=url, stream="raw", token_file=token_file, headers={"X-Wabbit-Source": "pi1"}))


def test_requests_without_the_token_are_refused(collector: Collector, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{collector.port}"
    with httpx.Client(base_url=base, timeout=10) as client:
        for path in ("/status", "/model"):
            refused = client.get(path)
            assert refused.status_code == 401 and str(tmp_path / "token") in refused.json()["error"]
            assert refused.headers["WWW-Authenticate"] == "Bearer"
        wrong = client.post("/ingest", content=b'{"kind":"reward"}\n', headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and wrong.json()["error"].startswith("a wrong token")
    (tmp_path / "other").write_text("not-the-token-either\n")
    for token_file, says in ((None, "no token"), (tmp_path / "other", "a wrong token")):
        with pytest.raises(SinkError, match=f"HTTP 401 Unauthorized: .*{says}"):
            sink(collector, token_file).send(b'{"kind":"reward"}\n' * 20_000, "raw-000001-000000000000")  # 360 KB
    with pytest.raises(SinkError, match="cannot read its token_file .*missing"):
        sink(collector, tmp_path / "missing").send(b'{"kind":"reward"}\n', "raw-000001-000000000000")
    assert list((tmp_path / "inbox").iterdir()) == [] and collector.stats()["refused"] == 5


def test_the_sink_with_its_token_file_is_let_in(collector: Collector, tmp_path: Path) -> None:
    shipping = sink(collector, tmp_path / "token")
    shipping.send(b'{"kind":"decision","event_id":"e1"}\n', "raw-000001-000000000000")
    shipping.close()
    assert shipping.last_status == 200
    [stored] = (tmp_path / "inbox").iterdir()
    assert stored.name.startswith("pi1-raw-000001-000000000000-") and stored.read_bytes() == b'{"kind":"decision","event_id":"e1"}\n'
    token = (tmp_path / "token").read_text().strip()
    (tmp_path / "current.vw").write_bytes(b"model")
    with httpx.Client(base_url=f"http://127.0.0.1:{collector.port}", headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.get("/status").json() == {"join": {}}
        model = client.get("/model")
        assert model.content == b"model" and client.get("/model", headers={"If-None-Match": model.headers["ETag"]}).status_code == 304
    assert collector.stats()["lines"] == 1 and collector.stats()["refused"] == 0


def test_the_sink_keeps_one_connection_from_batch_to_batch(collector: Collector, tmp_path: Path) -> None:
    shipping = sink(collector, tmp_path / "token")
    for i in range(3):
        shipping.send(b'{"kind":"decision","event_id":"e%d"}\n' % i, f"raw-000001-00000000000{i}")
    shipping.close()
    assert shipping.connections == 1 and len(list((tmp_path / "inbox").iterdir())) == 3
    token = (tmp_path / "token").read_text().strip()
    with httpx.Client(base_url=f"http://127.0.0.1:{collector.port}", headers={"Authorization": f"Bearer {token}"}) as client:
        elsewhere = client.post("/elsewhere", content=b'{"kind":"reward"}\n')  # its body left unread: the connection ends
        assert (elsewhere.status_code, elsewhere.headers["Connection"]) == (404, "close")
        assert client.post("/ingest", content=b"").status_code == 400
        assert client.post("/ingest", content=b'{"kind":"reward","event_id":"e0"}\n').status_code == 200
    assert len(list((tmp_path / "inbox").iterdir())) == 4


@pytest.mark.parametrize("length", ["ten", "-5", "1_000"])
@pytest.mark.parametrize("token", [True, False])
def test_a_content_length_that_is_not_a_number_of_bytes_is_answered_400_and_closed(
        collector: Collector, tmp_path: Path, length: str, token: bool) -> None:
    bearer = f"Authorization: Bearer {(tmp_path / 'token').read_text().strip()}\r\n" if token else ""
    request = f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n{bearer}Content-Length: {length}\r\n\r\n" + '{"kind":"reward"}\n'
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn:
        conn.sendall(request.encode())
        answer = b""
        while chunk := conn.recv(4096):  # the collector closes the connection: recv returns b"" instead of waiting
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *headers = head.split(b"\r\n")
    assert status == b"HTTP/1.1 400 Bad Request" and b"Connection: close" in headers
    assert json.loads(body) == {"error": f"Content-Length must be a number of bytes, not {length!r}"}
    assert list((tmp_path / "inbox").iterdir()) == [] and collector.stats()["refused"] == 0


def answer(reader: BinaryIO) -> tuple[bytes, dict[bytes, bytes], bytes]:
    """One answer read off a raw connection: its status line, headers (lower-cased names) and body."""
    status, headers = reader.readline().rstrip(), {}
    while (line := reader.readline().rstrip()):
        name, _, value = line.partition(b":")
        headers[name.lower()] = value.strip()
    return status, headers, reader.read(int(headers[b"content-length"]))


def test_a_chunked_batch_is_stored_whole_and_the_connection_carries_the_next_request(
        collector: Collector, tmp_path: Path) -> None:
    token = (tmp_path / "token").read_text().strip()
    chunks = b'6;ext=1\r\n{"kind\r\n1e\r\n":"decision","event_id":"e1"}\n\r\n0\r\nX-Trailer: ok\r\n\r\n'
    request = (f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nX-Wabbit-Source: pi1\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks
    status_request = f"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(request + status_request)
        assert answer(reader)[::2] == (b"HTTP/1.1 200 OK", b'{"stored": true}')
        assert answer(reader)[::2] == (b"HTTP/1.1 200 OK", b'{"join": {}}')  # the chunks were not taken for a request
    [stored] = (tmp_path / "inbox").iterdir()
    assert stored.name.startswith("pi1-") and stored.read_bytes() == b'{"kind":"decision","event_id":"e1"}\n'


@pytest.mark.parametrize(("framing", "body", "status", "says"), [
    ("Transfer-Encoding: chunked", b"zz\r\nab\r\n0\r\n\r\n", b"HTTP/1.1 400 Bad Request", "hexadecimal number"),
    ("Transfer-Encoding: chunked", b"4\r\nab", b"HTTP/1.1 400 Bad Request", "before its size"),
    ("Transfer-Encoding: gzip", b"ab", b"HTTP/1.1 501 Not Implemented", "'gzip' is not supported"),
    ("Transfer-Encoding: chunked\r\nContent-Length: 2", b"ab", b"HTTP/1.1 400 Bad Request", "at once"),
])
def test_a_body_whose_end_is_unknown_is_answered_and_closed(
        collector: Collector, tmp_path: Path, framing: str, body: bytes, status: bytes, says: str) -> None:
    token = (tmp_path / "token").read_text().strip()
    request = f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n{framing}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(request + body)
        if body.endswith(b"ab"):
            conn.shutdown(socket.SHUT_WR)  # the chunk stops short: the collector sees its end
        got, headers, error = answer(reader)
        assert (got, headers[b"connection"]) == (status, b"close") and says in json.loads(error)["error"]
        assert reader.read() == b""
    assert list((tmp_path / "inbox").iterdir()) == []


@pytest.mark.parametrize(("path", "declared", "bearer", "status"), [
    ("/elsewhere", 8 << 20, True, b"HTTP/1.1 404 Not Found"),
    ("/ingest", 100 << 20, True, b"HTTP/1.1 413 Request Entity Too Large"),
    ("/ingest", 100 << 20, False, b"HTTP/1.1 401 Unauthorized"),
])
def test_an_error_answer_reaches_a_client_still_sending_its_large_body(
        collector: Collector, tmp_path: Path, path: str, declared: int, bearer: bool, status: bytes) -> None:
    token = f"Authorization: Bearer {(tmp_path / 'token').read_text().strip()}\r\n" if bearer else ""
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{token}Content-Length: {declared}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(request + b"x" * min(declared, 8 << 20))  # no reset: the client sends, then reads the answer
        got, headers, _ = answer(reader)
    assert (got, headers[b"connection"]) == (status, b"close")


@pytest.mark.parametrize("body", [b"Content-Length: 25\r\n\r\nGET /nothing HTTP/1.1\r\n\r\n",
                                  b"Transfer-Encoding: chunked\r\n\r\n19\r\nGET /nothing HTTP/1.1\r\n\r\n\r\n0\r\n\r\n"],
                         ids=["content-length", "chunked"])
@pytest.mark.parametrize("path", ["/status", "/model"])
def test_a_get_with_a_body_is_answered_and_the_connection_carries_the_next_request(
        collector: Collector, tmp_path: Path, path: str, body: bytes) -> None:
    """The body of a GET is read and dropped, not parsed as a request of its own (here one that would be a 401)."""
    token = (tmp_path / "token").read_text().strip()
    (tmp_path / "current.vw").write_bytes(b"model bytes")
    get = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n".encode()
    status_request = f"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(get + body + status_request)
        first = answer(reader)
        assert (first[0], first[2]) == (b"HTTP/1.1 200 OK", b'{"join": {}}' if path == "/status" else b"model bytes")
        assert b"connection" not in first[1]
        assert answer(reader)[::2] == (b"HTTP/1.1 200 OK", b'{"join": {}}')
    assert collector.stats()["refused"] == 0


def test_a_get_with_a_large_body_is_answered_413_and_closed(collector: Collector, tmp_path: Path) -> None:
    token = (tmp_path / "token").read_text().strip()
    request = f"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Length: {1 << 20}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(request.encode() + b"x" * (1 << 20))
        got, headers, error = answer(reader)
        assert (got, headers[b"connection"]) == (b"HTTP/1.1 413 Request Entity Too Large", b"close")
        assert json.loads(error) == {"error": "a GET needs no body, and this one is over 65536 bytes: send GET /model or "
                                              "/status without one"}
        assert reader.read() == b""


@pytest.mark.parametrize("framing", [f"Content-Length: {32 << 20}", "Transfer-Encoding: chunked"])
def test_a_request_without_the_token_is_answered_401_before_its_body_is_read(
        collector: Collector, tmp_path: Path, framing: str) -> None:
    """The body of a request without the token is not read (up to 64 MB into memory) before the answer: the 401 comes
    while the client has sent only its headers, and the connection closes after it."""
    request = f"POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n{framing}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", collector.port), timeout=10) as conn, conn.makefile("rb") as reader:
        conn.sendall(request)  # and not one byte of the body
        conn.settimeout(5)
        got, headers, error = answer(reader)
        assert (got, headers[b"connection"]) == (b"HTTP/1.1 401 Unauthorized", b"close")
        assert json.loads(error)["error"].startswith("no token")
        conn.sendall(b"x" * (1 << 20))  # what it still sends is read and dropped until the collector closes
        assert reader.read() == b""
    assert collector.stats()["refused"] == 1


def test_a_model_source_waits_quietly_for_the_first_model_and_warns_of_a_wrong_url(
        collector: Collector, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    token = (tmp_path / "token").read_text().strip()
    installed: list[tuple[bytes, int | None]] = []

    def source(path: str) -> ModelUpdater:
        config = HTTPModelSourceConfig(url=f"http://127.0.0.1:{collector.port}{path}", headers={"Authorization": f"Bearer {token}"})
        return ModelUpdater(HTTPModelSource(config, name="central"), tmp_path, lambda path: None,
                            lambda path, published: installed.append((path.read_bytes(), published)))

    central, wrong = source("/model"), source("/models")
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            central.step()
        wrong.step()
    url = f"http://127.0.0.1:{collector.port}/model"
    waiting = [r for r in caplog.records if "no model published yet" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in waiting] == [(logging.INFO, f"model source central: no model published yet at {url}; waiting")]
    assert (central.errors, central.last_error, central.stats()["waiting"]) == (0, None, True)
    assert wrong.errors == 1 and "HTTP 404 Not Found; check the URL and its headers" in (wrong.last_error or "")
    assert [r.levelno for r in caplog.records if "check the URL" in r.getMessage()] == [logging.WARNING]
    (tmp_path / "checkpoint-000000000041.vw").write_bytes(b"model")  # the trainer publishes after batch 41...
    (tmp_path / "current.vw").write_bytes(b"model")
    central.step()  # ...as version 42, which the appliance installs the model as (when above its others)
    assert installed == [(b"model", 42)] and (central.installed, central.stats()["waiting"]) == (1, False)


def test_the_collector_listens_on_ipv6_loopback(tmp_path: Path) -> None:
    """``wabbit fleet --host ::1``: the collector binds an IPv6 address as it does an IPv4 one."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    token, _ = load_or_create_token(tmp_path)
    running = Collector(tmp_path / "inbox", tmp_path / "current.vw", "::1", 0, lambda: {"join": {}}, token,
                        tmp_path / "token").start()
    try:
        with httpx.Client(base_url=f"http://[::1]:{running.port}", headers={"Authorization": f"Bearer {token}"}) as client:
            assert client.post("/ingest", content=b'{"kind":"reward"}\n').status_code == 200
    finally:
        running.close()
    assert running.stats()["lines"] == 1


def test_a_sink_without_x_wabbit_source_is_named_by_its_host_not_by_the_address_it_comes_from(collector: Collector,
                                                                                             tmp_path: Path) -> None:
    """Behind a TLS proxy (or NAT) every appliance comes from one address: named by it, their logs would be one,
    and one appliance's records would move another's watermark. The sink names itself by its host name and machine id
    (every Pi is `raspberrypi` until renamed), as a directory sink does."""
    url = f"http://127.0.0.1:{collector.port}/ingest"
    shipping = HTTPSink(HTTPSinkConfig(url=url, stream="raw", token_file=tmp_path / "token"))
    shipping.send(b'{"kind":"reward"}\n', "raw-000001-000000000000")
    shipping.close()
    [stored] = (tmp_path / "inbox").iterdir()
    assert batch_source(stored.name) == re.sub(r"[^A-Za-z0-9._-]", "_", appliance_name())[:64] != "127.0.0.1"
    assert appliance_name().startswith(socket.gethostname())


def test_a_closed_collector_ends_its_kept_alive_connections(tmp_path: Path) -> None:
    """After close, a sink's kept-alive connection no longer reaches the collector (it did for up to IDLE_S, and its
    batches were still answered 200): the sink's next batch fails and is sent again to the next collector."""
    token, _ = load_or_create_token(tmp_path)
    running = Collector(tmp_path / "inbox", tmp_path / "current.vw", "127.0.0.1", 0, lambda: {}, token, tmp_path / "token").start()
    with httpx.Client(base_url=f"http://127.0.0.1:{running.port}", headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.post("/ingest", content=b'{"kind":"reward"}\n').status_code == 200
        running.close()
        with pytest.raises(httpx.TransportError):
            client.post("/ingest", content=b'{"kind":"decision"}\n')
    assert len(list((tmp_path / "inbox").iterdir())) == 1
