"""The HTTP client's connections (appliance/client/http_connection.py) against a small server written here: each
request in one write, keep-alive connections reused and shared, a connection the server closed never used again,
content-length and chunked answers, TLS with a CA file, timeouts and refused connections as ClientError codes."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import ssl
import threading
import warnings
from pathlib import Path
from typing import Any, Awaitable, Callable

import orjson
import pytest

from appliance.client import ClientError
from appliance.client.http_client import AsyncHttpClient
from appliance.client.http_connection import Connection
from appliance.client.sync import Client
from appliance.models.base import ModelVersion
from tests.certificates import self_signed

MODEL = b"a model file"
Session = Callable[[AsyncHttpClient], Awaitable[Any]]


class Learner:
    """Answers ``POST /api/models/{how}/learn`` with ``{"learned": N}`` (N: the examples it read), the model name saying
    how: ``default`` keep-alive with a content-length, ``chunked`` in chunks, ``close`` with ``Connection: close``,
    ``hangup`` keep-alive but closing the connection right after, ``silent`` never; ``missing`` answers 404.
    ``GET .../model`` answers :data:`MODEL` (with a wrong digest for ``cut``), ``GET .../versions`` no versions."""

    def __init__(self) -> None:
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode().split("\r\n")
                length = next(int(line.partition(":")[2]) for line in lines if line.lower().startswith("content-length"))
                method, path, _ = lines[0].split(" ")
                how, body = path.split("/")[3], await reader.readexactly(length)
                if method == "GET":  # a model download (its digest wrong for "cut"), and its versions
                    writer.write(self.model(how) if path.endswith("/model") else self.answer(how, b"[]"))
                    continue
                if how == "silent":
                    await asyncio.sleep(10)
                learned = len(orjson.loads(body)["examples"])
                writer.write(self.answer(how, orjson.dumps({"learned": learned} if how != "missing" else {"detail": "no such model"})))
                if how in ("close", "hangup"):
                    writer.close()
                    return
        except asyncio.IncompleteReadError:
            writer.close()

    @staticmethod
    def model(how: str) -> bytes:
        digest = hashlib.sha256(MODEL if how != "cut" else MODEL[:-1]).hexdigest()
        return b"HTTP/1.1 200 OK\r\nX-Model-SHA256: %s\r\nX-Model-Version: 3\r\nContent-Length: %d\r\n\r\n%s" % (
            digest.encode(), len(MODEL), MODEL)

    @staticmethod
    def answer(how: str, body: bytes) -> bytes:
        status = b"404 Not Found" if how == "missing" else b"200 OK"
        if how == "chunked":
            half = len(body) // 2
            return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n" % (half, body[:half])
                    + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body) - half, body[half:]))
        close = b"Connection: close\r\n" if how == "close" else b""
        return b"HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n%s" % (status, close, len(body), body)


class Counting(Connection):
    """The real connection, counting its writes."""

    writes: list[int] = []

    def write(self, data: bytes) -> None:
        Counting.writes.append(len(data))
        super().write(data)


def run(session: Session, tls: Path | None = None, tls_ca: Path | None = None, timeout_s: float = 5.0) -> tuple[Any, Learner]:
    """``session`` on a client of a fresh :class:`Learner` (over TLS with certificate and key ``tls``): its result, and
    the server."""
    learner = Learner()

    async def main() -> Any:
        context = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
        server = await asyncio.start_server(learner.serve, "127.0.0.1", 0, ssl=context)
        port = server.sockets[0].getsockname()[1]
        client = AsyncHttpClient(f"{'https' if tls else 'http'}://127.0.0.1:{port}", "token", tls_ca=str(tls_ca) if tls_ca else None,
                                 timeout_s=timeout_s, connection=Counting)
        try:
            return await session(client)
        finally:
            await client.close()
            server.close()
            for writer in learner.writers:
                writer.close()
            await asyncio.sleep(0.01)  # the transports' closing callbacks run

    return asyncio.run(main()), learner


def test_each_request_goes_out_in_one_write_on_one_kept_connection() -> None:
    Counting.writes.clear()
    sizes = [1, 100, 20_000]
    answers, learner = run(lambda client: asyncio.gather(*(client.learn(["| a"] * n) for n in sizes)))
    assert answers == sizes and len(Counting.writes) == 3 and sorted(Counting.writes)[-1] > 20_000 * 5
    assert learner.connections == 3  # concurrent calls, a connection each

    async def one_after_another(client: AsyncHttpClient) -> list[int]:
        return [await client.learn(["| a"] * n) for n in sizes]

    answers, learner = run(one_after_another)
    assert answers == sizes and learner.connections == 1


@pytest.mark.parametrize("how, connections", [("chunked", 1), ("close", 3), ("hangup", 3)])
def test_chunked_answers_and_connections_the_server_closes(how: str, connections: int) -> None:
    async def three(client: AsyncHttpClient) -> list[int]:
        learned = []
        for n in (1, 2, 3):
            learned.append(await client.learn(["| a"] * n, model=how))
            await asyncio.sleep(0.05)  # the event loop sees the server's hang-up between calls
        return learned

    answers, learner = run(three)
    assert answers == [1, 2, 3] and learner.connections == connections


def test_https_with_a_ca_file_and_not_with_the_system_roots(tmp_path: Path) -> None:
    self_signed(tmp_path)
    answer, _ = run(lambda client: client.learn(["| a"]), tls=tmp_path, tls_ca=tmp_path / "cert.pem")
    assert answer == 1
    with pytest.raises(ClientError) as err:
        run(lambda client: client.learn(["| a"]), tls=tmp_path)
    assert err.value.code == "UNAVAILABLE" and "CERTIFICATE_VERIFY_FAILED" in err.value.message


def test_statuses_timeouts_and_refusals_are_client_errors() -> None:
    with pytest.raises(ClientError) as err:
        run(lambda client: client.learn(["| a"], model="missing"))
    assert (err.value.code, err.value.message) == ("NOT_FOUND", "no such model")
    with pytest.raises(ClientError) as err:
        run(lambda client: client.learn(["| a"], model="silent"), timeout_s=0.2)
    assert err.value.code == "DEADLINE_EXCEEDED" and "0.2 s" in err.value.message

    async def refused(_: AsyncHttpClient) -> int:
        return await AsyncHttpClient("http://127.0.0.1:9", timeout_s=2).learn(["| a"])

    with pytest.raises(ClientError) as err:
        run(refused)
    assert err.value.code == "UNAVAILABLE" and "127.0.0.1:9" in err.value.message


def test_a_download_is_checked_against_its_digest() -> None:
    downloaded, _ = run(lambda client: client.download())
    assert downloaded == (MODEL, ModelVersion(3, 0.0, hashlib.sha256(MODEL).hexdigest(), len(MODEL)))
    with pytest.raises(ClientError) as err:
        run(lambda client: client.download("cut"))
    assert err.value.code == "DATA_LOSS" and f"({len(MODEL)} bytes)" in err.value.message


def test_the_client_drops_an_idle_connection_well_before_the_daemon_closes_it() -> None:
    """A request on a connection idle just under the daemon's keep-alive reaches it as the daemon closes the connection:
    the call then fails, and whether it took effect is unknown. The client reuses a connection idle for at most half
    the daemon's keep-alive, so that a slow network or a busy event loop on either side stays clear of that race."""
    from fastapi import FastAPI

    from appliance.client import http_connection
    from appliance.server.serve import build_server

    keep_alive = build_server(FastAPI(), "127.0.0.1", 0, lambda: None).config.timeout_keep_alive
    assert 0 < http_connection.IDLE_S <= keep_alive / 2, (http_connection.IDLE_S, keep_alive)


def test_a_closed_client_leaves_no_tls_connection_to_the_garbage_collector(tmp_path: Path) -> None:
    """A TLS connection takes a few turns of the event loop to close (close_notify both ways): the synchronous client
    used to stop its loop before them, leaving the socket open until the garbage collector found it."""
    cert, key = self_signed(tmp_path)
    server_loop = asyncio.new_event_loop()
    thread = threading.Thread(target=server_loop.run_forever, daemon=True)
    thread.start()

    async def start() -> asyncio.Server:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        return await asyncio.start_server(Learner().serve, "127.0.0.1", 0, ssl=context)

    server = asyncio.run_coroutine_threadsafe(start(), server_loop).result()
    url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(3):
                with Client(lambda: AsyncHttpClient(url, "token", tls_ca=str(cert))) as client:
                    assert client.learn(["| a"]) == 1
            gc.collect()
        assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
    finally:
        server_loop.call_soon_threadsafe(server.close)
        server_loop.call_soon_threadsafe(server_loop.stop)
        thread.join(5)
        server_loop.close()
