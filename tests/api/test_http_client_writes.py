"""The HTTP client sends each request in one write (appliance/client/http_transport.py): head and body together, so
the server wakes once per request."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Iterator

import httpcore
import httpx
import pytest

from appliance.client.http_transport import HELD_BYTES, JoinedBackend


class Echo(BaseHTTPRequestHandler):
    """Answers a POST with the length of the body it read."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = len(self.rfile.read(int(self.headers["Content-Length"])))
        answer = f'{{"read": {length}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        """Quiet: http.server writes each request to stderr, and the test reads the write counts instead."""


class CountingStream(httpcore.AsyncNetworkStream):
    """The real socket stream, counting what is written to it."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, writes: list[int]) -> None:
        self.stream, self.writes = stream, writes

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self.stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.writes.append(len(buffer))
        await self.stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self.stream.aclose()

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class Counting(httpcore.AnyIOBackend):
    def __init__(self) -> None:
        self.writes: list[int] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return CountingStream(await super().connect_tcp(host, port, timeout, local_address, socket_options), self.writes)


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("joined", [True, False])
def test_each_request_goes_out_in_one_write(echo: str, joined: bool) -> None:
    counting = Counting()
    backend = JoinedBackend(counting) if joined else counting

    async def send() -> list[Any]:
        async with httpcore.AsyncConnectionPool(network_backend=backend) as pool:
            answers = []
            for size in (100, 1000, 3 * HELD_BYTES):
                r = await pool.request("POST", f"{echo}/decide", content=b"x" * size,
                                       headers={"Content-Type": "application/octet-stream"})
                answers.append(httpx.Response(r.status, content=r.content).json()["read"])
            return answers

    assert asyncio.run(send()) == [100, 1000, 3 * HELD_BYTES]
    sizes = [100, 1000, 3 * HELD_BYTES]
    if joined:  # one write per request, head and body together (the large one as soon as it is over HELD_BYTES)
        assert len(counting.writes) == 3 and all(n > size for n, size in zip(counting.writes, sizes)), counting.writes
    else:  # httpcore alone: head and body apart, as the server saw them before
        assert [n for n in counting.writes if n][1::2] == sizes, counting.writes  # (and an empty write at each end)
