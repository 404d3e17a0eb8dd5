"""The HTTP server: uvicorn on httptools (llhttp, in C: a fraction of h11's CPU per request), guarded against
clients that hold connections without using them.

The SD image binds the LAN, so a connection costs the client nothing and the daemon a file descriptor:

- a connection sends its request headers within ``HEADER_TIMEOUT_S`` of opening (or of its previous
  response), and its body with pauses of at most ``BODY_IDLE_S``; otherwise it gets a 408 and is closed.
  A connection that sent nothing is closed without an answer (an idle keep-alive one too). The deadlines are
  checked every ``SWEEP_S`` (:class:`DeadlineSweep`), so each is met up to that much late.
- one remote address holds at most ``PER_CLIENT`` connections, all of them together ``MAX_CONNECTIONS``.
  A new connection over a cap closes the connection of that group that has waited longest for a request;
  only when every one of them is busy with a request is the new one refused (503).

There is no request-count limit (uvicorn's ``limit_concurrency`` answered 503 to every route, ``/healthz``
included, once 200 sockets were open): the caps bound the requests in flight, and ``/healthz`` runs on the
event loop, so it answers while the thread pool is busy with the API.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import math
import time
import weakref
from types import FrameType
from typing import Any, Callable

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from appliance.server.app import BODY_SIZES
from appliance.server.lean_routes import LeanRoutes

HEADER_TIMEOUT_S = 5
BODY_IDLE_S = 5
PER_CLIENT = 32
MAX_CONNECTIONS = 512  # well under the default limit of 1024 file descriptors
SWEEP_S = 0.5
"""How often an event loop looks for connections past their deadline (a deadline is kept up to this much late)."""

log = logging.getLogger("wabbit")


def build_server(app: FastAPI, host: str, port: int, on_exit: Callable[[], None]) -> uvicorn.Server:
    """The daemon's uvicorn server; ``on_exit`` runs first on its event loop when SIGTERM/SIGINT asks it to stop."""

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # A signal handler interrupts the main thread (the event loop's) wherever it is, perhaps holding a lock
            # that on_exit takes: it only schedules on_exit (e.g. end the live streams, so shutdown need not wait).
            try:
                asyncio.get_running_loop().call_soon_threadsafe(on_exit)
            except RuntimeError:  # no event loop runs in this thread, so no stream holds the hub
                on_exit()
            super().handle_exit(sig, frame)

    front = LeanRoutes(app, BODY_SIZES)  # decide and reward in front of the app's stack (appliance.server.lean_routes)
    return Server(uvicorn.Config(front, host=host, port=port, http=GuardedHttpToolsProtocol, ws="none", log_level="warning",
                                 access_log=False, timeout_keep_alive=HEADER_TIMEOUT_S, timeout_graceful_shutdown=3))


class Phase(enum.Enum):
    """Where a connection is in its current request, as the parser's callbacks report it."""

    IDLE = "idle"  # nothing of the next request received
    HEADERS = "headers"  # part of the request line and headers
    BODY = "body"  # the headers, and part of the body
    HANDLING = "handling"  # the whole request: the app answers at its own pace


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request and caps on connections (see the module)."""

    waiting_since = 0.0
    deadline = math.inf  # time.monotonic() at which expire() runs (DeadlineSweep); inf: none
    phase = Phase.IDLE
    last_refusal_logged = -math.inf

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        DeadlineSweep.of(self.loop).watch(self)
        self.waiting_since = time.monotonic()
        if not (_make_room([c for c in self.peers() if c.address() == self.address()], PER_CLIENT)
                and _make_room(self.peers(), MAX_CONNECTIONS)):
            if time.monotonic() - GuardedHttpToolsProtocol.last_refusal_logged > 60:  # one line a minute, however many come
                GuardedHttpToolsProtocol.last_refusal_logged = time.monotonic()
                log.warning("refused a connection from %s: its connections, or all %d, are busy with requests", self.address(), len(self.peers()))
            _answer(transport, 503, "Service Unavailable", f"too many connections busy (at most {PER_CLIENT} per address, "
                    f"{MAX_CONNECTIONS} in all); finish or close some, then retry")
            return
        self._arm(HEADER_TIMEOUT_S)

    # the parser's callbacks, as it reads each part of a request
    def on_message_begin(self) -> None:
        self.phase = Phase.HEADERS
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self.phase = Phase.BODY
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:  # the cycle just made (none for an upgrade)
            self.cycle.transport = Corked(self.transport, self.loop)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self.cycle.response_complete:  # answered before its body was all in (e.g. 413): the next request's turn
            self._idle()
        else:
            self.phase = Phase.HANDLING

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.phase is Phase.BODY:
            self._arm(BODY_IDLE_S)
        elif self.phase is Phase.HANDLING:
            self._disarm()
        elif self.phase is Phase.HEADERS and self.deadline == math.inf:  # a pipelined request began while one was handled
            self._arm(HEADER_TIMEOUT_S)

    def on_response_complete(self) -> None:
        """uvicorn's, without its keep-alive timer (a timer armed per response and cancelled by the next request): the
        deadline of ``_idle`` closes a connection that stays idle, after the same ``HEADER_TIMEOUT_S``."""
        if self.phase is Phase.HANDLING and self.cycle.response_complete:  # no later request has begun
            self._idle()
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:  # a pipelined request waits for this response: its turn
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)

    def _idle(self) -> None:
        self.phase = Phase.IDLE
        self.waiting_since = time.monotonic()
        self._arm(HEADER_TIMEOUT_S)  # for the next request, if the client keeps the connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        DeadlineSweep.of(self.loop).forget(self)
        super().connection_lost(exc)

    def peers(self) -> list[GuardedHttpToolsProtocol]:
        """The server's other open connections."""
        return [c for c in self.connections if c is not self and isinstance(c, GuardedHttpToolsProtocol) and not c.transport.is_closing()]

    def address(self) -> str | None:
        return self.client[0] if self.client else None

    def waiting(self) -> bool:
        """True between requests: nothing, or only part of the next request's headers, received."""
        return self.phase is Phase.IDLE or self.phase is Phase.HEADERS

    def _arm(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def _disarm(self) -> None:
        self.deadline = math.inf

    def expire(self) -> None:
        """Past the deadline: what the phase calls for (see the module)."""
        self.deadline = math.inf
        if self.phase is Phase.BODY and self.flow.read_paused:
            self._arm(BODY_IDLE_S)  # the app has not read what came so far: not the client's delay
        elif self.phase is Phase.BODY and not (self.cycle and self.cycle.response_started):
            _answer(self.transport, 408, "Request Timeout", f"no part of the request body came for {BODY_IDLE_S} s; "
                    "send the whole body without pausing")
        elif self.phase is Phase.HEADERS:
            _answer(self.transport, 408, "Request Timeout", f"the request headers did not all come within {HEADER_TIMEOUT_S} s; "
                    "send the whole request at once")
        elif self.phase is not Phase.HANDLING:
            self.transport.close()


class DeadlineSweep:
    """The open connections of one event loop, whose deadlines it checks every ``SWEEP_S`` while any is open: one
    timer per loop, not one armed and cancelled per request (with uvicorn's keep-alive timer, two per request were a
    twentieth of the event loop's time per decide)."""

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DeadlineSweep] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watched: set[GuardedHttpToolsProtocol] = set()
        self._timer: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> DeadlineSweep:
        """The loop's (called on its thread)."""
        sweep = cls._of_loop.get(loop)
        if sweep is None:
            sweep = cls._of_loop[loop] = cls(loop)
        return sweep

    def watch(self, connection: GuardedHttpToolsProtocol) -> None:
        self._watched.add(connection)
        if self._timer is None:
            self._timer = self._loop.call_later(SWEEP_S, self._sweep)

    def forget(self, connection: GuardedHttpToolsProtocol) -> None:
        self._watched.discard(connection)

    def _sweep(self) -> None:
        now = time.monotonic()
        for connection in [c for c in self._watched if c.deadline <= now]:
            connection.expire()
        self._timer = self._loop.call_later(SWEEP_S, self._sweep) if self._watched else None


class Corked(asyncio.Transport):
    """What a request's cycle writes its response to: writes within one turn of the event loop leave as one. uvicorn
    writes a response's head and its body separately, which on a TCP_NODELAY socket is two segments, two system
    calls and two wake-ups of the client for one answer."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport, self._loop = transport, loop
        self._parts: list[bytes | bytearray | memoryview] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._parts:
            self._loop.call_soon(self.flush)
        self._parts.append(data)

    def flush(self) -> None:
        data, self._parts = b"".join(self._parts), []
        if data and not self._transport.is_closing():  # closed meanwhile (the client left): nobody to read it
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)


def _make_room(group: list[GuardedHttpToolsProtocol], cap: int) -> bool:
    """Below ``cap`` open connections in ``group`` for one more, closing its longest-waiting idle one if need be."""
    if len(group) < cap:
        return True
    idle = [c for c in group if c.waiting()]
    if not idle:
        return False
    min(idle, key=lambda c: c.waiting_since).transport.close()
    return True


def _answer(transport: asyncio.Transport, status: int, reason: str, detail: str) -> None:
    """Write a whole JSON error response outside the parser (there is no request to answer, or only part of one), and close."""
    body = json.dumps({"detail": detail}).encode()
    transport.write(f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
                    "connection: close\r\n\r\n".encode() + body)
    transport.close()
