"""httpx's transport with each request sent in one write: the HTTP client's connections (:mod:`appliance.client.http_client`).

httpcore writes a request's head and its body separately, two segments on a ``TCP_NODELAY`` socket: two system
calls here, and at the server two wake-ups, the second after its route has already started and waits for the
body. :class:`Joined` holds what httpcore writes until it reads the answer, then sends it in one write (a body
over :data:`HELD_BYTES` goes out as it comes). The transport is httpx's own, on this network backend.
"""

from __future__ import annotations

import ssl
from typing import Any, Iterable

import httpcore
import httpx

HELD_BYTES = 64 * 1024
DEFAULT = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)  # httpx's defaults


class Joined(httpcore.AsyncNetworkStream):
    """A stream whose writes are held until the next read (or until :data:`HELD_BYTES` are held), then sent as one."""

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream, self._size = stream, 0
        self._held: list[bytes] = []
        self._timeout: float | None = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._held.append(buffer)
            self._size += len(buffer)
            self._timeout = timeout
        if self._size > HELD_BYTES:
            await self._flush()

    async def _flush(self) -> None:
        if self._held:
            data, self._held, self._size = b"".join(self._held), [], 0
            await self._stream.write(data, self._timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def aclose(self) -> None:
        self._held, self._size = [], 0  # a request not sent by now never will be
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return Joined(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class JoinedBackend(httpcore.AsyncNetworkBackend):
    """A network backend (default: anyio's, httpcore's on asyncio) whose streams are :class:`Joined`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return Joined(await self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        return Joined(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class JoinedTransport(httpx.AsyncHTTPTransport):
    """httpx's HTTP/1.1 transport (``verify`` as httpx takes it, its default limits) over :class:`JoinedBackend`."""

    def __init__(self, verify: ssl.SSLContext | str | bool = True) -> None:
        # What httpx's __init__ does (it only builds this pool), with the network backend it does not let a caller
        # choose; not calling it spares a second SSL context (loading the CA bundle). httpx is pinned (pyproject.toml).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify), max_connections=DEFAULT.max_connections,
            max_keepalive_connections=DEFAULT.max_keepalive_connections, keepalive_expiry=DEFAULT.keepalive_expiry,
            network_backend=JoinedBackend())
