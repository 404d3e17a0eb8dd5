"""The payloads and transports the client benchmarks drive: in-process decide, and HTTP ``POST /api/decide``.

Payloads follow rlclientlib's benchmark: features x actions of 10 x 4 and 100 x 10, and 20 shared features
with 10 features per action over 50 actions. One daemon config declares 50 actions with 10 features each;
a payload offers the first 4, 10 or all 50 of them with a context of 10, 100 or 20 features.

The HTTP transport is a lean keep-alive HTTP/1.1 client on a plain socket (request bytes built once, the
answer's status and length checked): a load generator on the same two cores must cost the server little.
:class:`ClientDecide` drives the appliance's own client (:mod:`appliance.client`, sync API) instead, over HTTP
or gRPC, so that its overhead can be measured against the raw transport of the same protocol.

>>> p = PAYLOADS["10x4"]
>>> len(p.context["shared"]), len(p.actions), p.body[:28]
(10, 4, b'{"context":{"shared":{"f0":0')
>>> daemon_config().count("- id: a")
50
"""

from __future__ import annotations

import socket
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from appliance.bench.client_load import Caller

if TYPE_CHECKING:
    from appliance.loop import Loop

ACTIONS = 50
ACTION_FEATURES = 10


@dataclass(frozen=True)
class Payload:
    name: str
    context: dict[str, dict[str, float]]
    actions: list[str]

    @property
    def body(self) -> bytes:
        return orjson.dumps({"context": self.context, "actions": self.actions})


def _payload(features: int, actions: int) -> Payload:
    context = {"shared": {f"f{i}": round((i % 7) / 7, 3) for i in range(features)}}
    return Payload(f"{features}x{actions}", context, [f"a{k}" for k in range(actions)])


PAYLOADS = {p.name: p for p in (_payload(10, 4), _payload(100, 10), _payload(20, ACTIONS))}


def daemon_config() -> str:
    """A plain decision service (no simulated world) with the 50 actions the payloads choose from."""
    lines = ["simulation: null", "join:", "  reward_wait_s: 1", "policy:", "  actions:"]
    for k in range(ACTIONS):
        features = ", ".join(f"x{k}_{j}: 1" for j in range(ACTION_FEATURES))
        lines.append(f"  - id: a{k}\n    features: {{act: {{{features}}}}}")
    return "\n".join(lines) + "\n"


class InProcess:
    """``loop.decide`` and the wait for its write-ahead log ticket, in this process: the reference."""

    def __init__(self, loop: Loop) -> None:
        self.loop = loop

    def open(self) -> Caller:
        def call(payload: Payload) -> None:
            self.loop.decide(payload.context, payload.actions)[1].wait()
        return call


class ClientDecide:
    """``decide`` through the appliance's client (:func:`appliance.client.connect`, ``http://`` or ``grpc://``), one
    synchronous client (its own event loop thread and connection) per load-generator client, closed once let go."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.name = f"client-{url.partition(':')[0]}"

    def open(self) -> Caller:
        from appliance.client import connect

        client = connect(self.url, self.token)

        def call(payload: Payload) -> None:
            client.decide(payload.context, payload.actions)
        weakref.finalize(call, client.close)  # a caller let go closes its connection and stops its loop thread
        return call


class HTTPError(RuntimeError):
    """The daemon answered a decide with something other than 200."""


class HTTPDecide:
    """``POST /api/decide`` over keep-alive HTTP/1.1 to ``127.0.0.1:port``, one connection per client."""

    def __init__(self, port: int, token: str, path: str = "/api/decide") -> None:
        self.port, self.path = port, path
        self._head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                      "Content-Type: application/json\r\n").encode()
        self._requests: dict[str, bytes] = {}

    def request(self, payload: Payload) -> bytes:
        """The whole request for ``payload`` (built once per payload)."""
        if payload.name not in self._requests:
            body = payload.body
            self._requests[payload.name] = self._head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        return self._requests[payload.name]

    def open(self) -> Caller:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def call(payload: Payload) -> None:
            sock.sendall(self.request(payload))
            read_response(sock)
        return call


def read_response(sock: socket.socket) -> bytes:
    """One HTTP/1.1 response with a Content-Length (what uvicorn sends for JSON): its body, or HTTPError."""
    data = b""
    while (end := data.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise HTTPError("the daemon closed the connection")
        data += chunk
    head = data[:end].decode("latin-1")
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = data[end + 4:]
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise HTTPError("the daemon closed the connection mid-answer")
        body += chunk
    status = head[9:12]
    if status != "200":
        raise HTTPError(f"decide answered {status}: {body[:200]!r}")
    return body


def process_usage(pid: int) -> tuple[float, int]:
    """CPU seconds (user + system) and resident bytes of process ``pid`` (Linux ``/proc``)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    rss = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    return cpu, rss
