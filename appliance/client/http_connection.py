"""HTTP/1.1 for the client (:mod:`appliance.client.http_client`): keep-alive connections on asyncio, answers read by llhttp.

A :class:`Pool` keeps the connections to one server: a call takes an idle one (or opens one, up to
:data:`MAX_CONNECTIONS` at once), sends its request in one write, and puts it back once the whole answer is
read, so calls reuse connections and concurrent calls share them. A connection is an asyncio protocol whose
bytes go straight into ``httptools``' parser (llhttp, the parser uvicorn runs on): content-length and chunked
answers alike. A connection the server closed (it said ``Connection: close``, or closed an idle one) is noticed
by the event loop when it happens and never given a request.

httpx over httpcore cost this client 2.2-3.6 ms of CPU per decide on the project's 2-core test machine, seven to
ten times this (docs/client-benchmarks.md): its layers (request building, header merging, cookies, auth flow, anyio's cancel
scopes around each read and write, h11's header validation) run some 1,900 Python calls per request.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

import httptools

MAX_CONNECTIONS = 16
"""Half the daemon's cap on connections from one address (``appliance.server.serve.PER_CLIENT``, 32), leaving the rest
to another client on the same host: over the cap the daemon closes the connection waiting longest for a request, and a
request the client had sent on it failed, its outcome unknown (httpx's limit of 100, which the client had, lost 18 of 50
concurrent decides)."""
MAX_IDLE = 20
IDLE_S = 2.0
"""How long a connection may stay idle and still be given a request: well under the daemon's 5 s keep-alive
(``appliance.server.serve.HEADER_TIMEOUT_S``), so that a request never goes out as the daemon closes the connection
(the call would fail, not knowing whether it took effect)."""
CLOSE_S = 1.0
"""How long closing the client waits for its connections to close (a TLS one exchanges close_notify first) before it
cuts them."""


class ConnectFailed(ConnectionError):
    """The connection could not be opened (``tls``: its TLS handshake failed): no request was sent."""

    def __init__(self, err: OSError) -> None:
        super().__init__(str(err))
        self.tls = isinstance(err, ssl.SSLError)


@dataclass(frozen=True)
class Response:
    """A whole answer: its status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    content: bytes


class Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: a request at a time, its answer fed to llhttp as it arrives."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._answer: asyncio.Future[Response] | None = None
        self.reusable = False
        self.idle_since = 0.0
        self.lost: asyncio.Future[None] | None = None
        """Done once the connection is gone (its socket closed)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport, self.reusable = transport, True
        self.lost = asyncio.get_running_loop().create_future()

    async def exchange(self, request: bytes) -> Response:
        """Send ``request`` in one write and wait for its whole answer."""
        assert self._transport is not None
        self._answer = asyncio.get_running_loop().create_future()
        self.write(request)
        try:
            return await self._answer
        finally:
            self._answer = None

    def write(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close at once, without waiting for a TLS peer's close_notify."""
        self.reusable = False
        if self._transport is not None:
            self._transport.abort()

    # -- asyncio's and llhttp's callbacks ---------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as err:
            self._fail(ConnectionError(f"the server's answer is not HTTP/1.1 ({err})"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = Response(self._parser.get_status_code(), self._headers, b"".join(self._body))
        self._headers, self._body = {}, []
        if not self._parser.should_keep_alive():
            self.close()
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(answer)

    def eof_received(self) -> bool:
        self._fail(ConnectionError("the server closed the connection before it answered"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionError("the connection closed before the server answered"))
        if self.lost is not None and not self.lost.done():
            self.lost.set_result(None)

    def _fail(self, err: Exception) -> None:
        self.close()
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(err)


class Pool:
    """The keep-alive connections to ``host:port`` (over TLS if ``tls`` is given); ``timeout_s`` bounds each request,
    connecting, sending and reading included."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, timeout_s: float,
                 connection: type[Connection] = Connection) -> None:
        self.host, self.port, self.timeout_s = host, port, timeout_s
        self._tls, self._connection = tls, connection
        self._idle: list[Connection] = []
        self._connections: set[Connection] = set()  # every connection open, idle or in use
        self.closed = False
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def request(self, request: bytes) -> Response:
        """Send ``request`` (a whole HTTP/1.1 request) on an idle connection or a new one; its answer."""
        async with self._slots, asyncio.timeout(self.timeout_s):
            connection = self._take() or await self._open()
            if self.closed:  # while it connected
                connection.close()
                raise ConnectionError("the client was closed")
            try:
                answer = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            self._put(connection)
            return answer

    def _take(self) -> Connection | None:
        """The idle connection used last that is still open and fresh, closing the others on the way."""
        now = asyncio.get_running_loop().time()
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable and now - connection.idle_since < IDLE_S:
                return connection
            connection.close()
        return None

    async def _open(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(self._connection, self.host, self.port, ssl=self._tls,
                                                         server_hostname=self.host if self._tls else None)
        except OSError as err:
            raise ConnectFailed(err) from err
        self._connections.add(connection)
        assert connection.lost is not None  # made as it connected
        connection.lost.add_done_callback(lambda _: self._connections.discard(connection))
        return connection

    def _put(self, connection: Connection) -> None:
        if connection.reusable and not self.closed and len(self._idle) < MAX_IDLE:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()

    async def close(self) -> None:
        """Close every connection, idle or in use (its call fails at once, as a gRPC channel's calls do when it closes),
        and wait until they are gone, cutting those still open after :data:`CLOSE_S`, so that no socket is left to the
        garbage collector (a TLS connection closes in a few turns of the event loop)."""
        self.closed = True
        for connection in list(self._connections):
            connection.close()
        self._idle.clear()
        closing = {c.lost: c for c in self._connections if not c.reusable and c.lost is not None}
        if closing:
            _, stuck = await asyncio.wait(closing, timeout=CLOSE_S)
            for lost in stuck:
                closing[lost].abort()
            if stuck:
                await asyncio.sleep(0)  # the cut connections' callbacks run
