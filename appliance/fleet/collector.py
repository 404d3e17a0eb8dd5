"""The central side's HTTP face: appliances' ``http`` log sinks POST batches here, their ``http`` model sources
pull the current model.

- ``POST /ingest``: a batch of raw JSON lines, written whole (atomically, fsynced) into the inbox before the
  answer 200: an acknowledged batch is on disk. It is named by the sender (header ``X-Wabbit-Source``, an ``http``
  sink's host name unless set; else its address), the batch id (``X-Wabbit-Batch``) and its SHA-256, so a batch sent again replaces itself, and one
  that starts at the same place but holds more (sent again after the sender restarted) is a file of its own.
- ``GET /model``: ``current.vw`` with an ``ETag`` (its SHA-256), ``X-Model-SHA256`` and ``X-Model-Version``, the
  version the trainer publishes it as (:func:`~appliance.fleet.trainer.published_version`; an appliance's ``http``
  model source installs it as that version when above its others); ``If-None-Match`` gives 304.
  Before the central side has published its first model: 404 with :data:`NONE_PUBLISHED`, which an appliance's
  ``http`` model source takes as "wait" rather than as a wrong URL.
- ``GET /status``: the central side's counters, as JSON.

A GET sent with a body has it read and dropped (up to :data:`GET_BODY` bytes; a larger one is answered 413 and the
connection closed), so that its bytes are not taken for the next request on a kept-alive connection.

Every request carries the central side's token (``Authorization: Bearer TOKEN``; the file ``token`` in its
directory, made at first start like the appliance's); without it, or with another, the answer is 401 with a
message saying where the token is, sent before its body is read (the connection then closes). A body comes with
a ``Content-Length`` or ``Transfer-Encoding: chunked`` (as ``curl -T -`` and streaming clients send it); a
``Content-Length`` that is not a number of bytes, both at once, or chunks that are not well formed leave the body's
end unknown: the answer is 400 (before the token is looked at) and the connection is closed. After an error answer
whose request body was not read, the collector reads and discards what the client still sends (up to
:data:`LINGER_BYTES` or :data:`LINGER_S`) before it closes, so that the kernel does not reset the connection and
destroy the answer before the client reads it.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from appliance.errors import UsageError
from appliance.fleet.trainer import published_version
from appliance.storage.atomic import write_atomically

MAX_BATCH = 64 * 1024 * 1024
IDLE_S = 60.0
"""How long a kept-alive connection may wait for its next request before the collector closes it."""
NONE_PUBLISHED = json.dumps({"error": "no model published yet: the central trainer publishes one once it has trained",
                             "published": False}).encode()
"""The body of ``GET /model``'s 404 before a model is published (``published``: false; the model source reads it)."""
GET_BODY = 64 * 1024
"""The largest body a GET may come with (read and dropped: the answer does not depend on it)."""
LINGER_BYTES = 16 * 1024 * 1024
LINGER_S = 1.0
"""How much, and for how long, the collector reads and discards after an error answer before closing."""
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")


class BadBody(ValueError):
    """A request body whose framing is broken or whose size is over the limit: the answer's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def read_chunked(rfile: io.BufferedIOBase, limit: int) -> bytes:
    """A ``Transfer-Encoding: chunked`` body (its chunks, then trailers up to a blank line), at most ``limit`` bytes.

    >>> import io
    >>> read_chunked(io.BytesIO(b"4;x=y\\r\\nab\\r\\n\\r\\n2\\r\\ncd\\r\\n0\\r\\nX-Sum: 1\\r\\n\\r\\n"), 10)
    b'ab\\r\\ncd'
    """
    data = bytearray()
    while size := _chunk_size(rfile.readline(1024)):
        if len(data) + size > limit:
            raise BadBody(413, f"a batch of 1 byte to {limit // 2**20} MB of JSON lines")
        chunk = rfile.read(size)
        if len(chunk) < size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadBody(400, "a chunk ends before its size or without CRLF: send the chunks whole, or a Content-Length")
        data += chunk
    while (trailer := rfile.readline(8192)) not in (b"\r\n", b"\n"):
        if not trailer.endswith(b"\n"):
            raise BadBody(400, "the chunked body ends before the blank line after its last chunk")
    return bytes(data)


def _chunk_size(line: bytes) -> int:
    size = line.split(b";", 1)[0].strip()
    if not line.endswith(b"\n") or not _HEX.fullmatch(size):
        raise BadBody(400, f"a chunk's size must be a hexadecimal number of bytes, not {line[:40]!r}")
    return int(size, 16)


def linger(connection: socket.socket) -> None:
    """End the answer (FIN), then read and discard what the client still sends until it closes, up to
    :data:`LINGER_BYTES` or :data:`LINGER_S`: closing on unread data would make the kernel send a reset."""
    deadline, left = time.monotonic() + LINGER_S, LINGER_BYTES
    try:
        connection.shutdown(socket.SHUT_WR)
        while left > 0 and (wait := deadline - time.monotonic()) > 0:
            connection.settimeout(wait)
            if not (chunk := connection.recv(min(left, 1 << 16))):
                return
            left -= len(chunk)
    except OSError:  # the client is gone or the time is up: the answer was sent, closing is all that is left
        return


class _Server(ThreadingHTTPServer):
    """The collector's server: a thread a connection, on an IPv6 address (``::1``) as well as an IPv4 one; closing it
    ends the kept-alive connections too (their threads would serve them on for up to :data:`IDLE_S`)."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.address_family = socket.getaddrinfo(*address, type=socket.SOCK_STREAM)[0][0]
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        with self._open_lock:
            for connection in self._open:
                try:
                    connection.shutdown(socket.SHUT_RDWR)  # its thread reads the end and closes it
                except OSError:  # closed meanwhile
                    continue


class Collector:
    def __init__(self, inbox: Path, model: Path, host: str, port: int, status: Callable[[], dict[str, Any]],
                 token: str, token_path: Path) -> None:
        self.inbox, self.model, self.status = inbox, model, status
        self._token, self._token_path = token.encode(), token_path
        self.refused = 0
        inbox.mkdir(parents=True, exist_ok=True)
        self.batches = self.lines = 0
        self._lock = threading.Lock()
        try:
            self._server = _Server((host, port), self._handler())
        except OSError as err:
            raise UsageError(f"the collector cannot listen on {host}:{port} ({err.strerror}); is the port in use, or "
                             "the host not an address of this machine? Pick another with --port or --host") from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="fleet-collector", daemon=True)

    def start(self) -> Collector:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a sink sends its batches over one connection
            timeout = IDLE_S
            length = 0  # the request's Content-Length, once :meth:`parse_request` has checked it
            chunked = False  # its body comes as Transfer-Encoding: chunked instead
            unread = False  # its body is still to be read: closing on it would reset the connection

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the collector reports through its own logger and counters, not a line per request."""

            def _answer(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                for k, v in (headers or {"Content-Type": "application/json"}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                if self.close_connection:  # said, so that a client sends its next request on a new connection
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

            def parse_request(self) -> bool:
                """The request line and headers, then the body's framing: a ``Content-Length`` that is not a number
                of bytes, one beside ``Transfer-Encoding``, or an encoding other than chunked leaves the body's end
                unknown, so the answer is 400 (501 for the encoding) and the connection closes."""
                self.unread = False
                if not super().parse_request():
                    return False
                given, encoding = self.headers.get("Content-Length"), self.headers.get("Transfer-Encoding")
                self.unread, self.chunked, self.length = given is not None or encoding is not None, encoding is not None, 0
                if given is not None and not _DIGITS.fullmatch(given.strip()):
                    problem = (400, f"Content-Length must be a number of bytes, not {given.strip()[:40]!r}")
                elif encoding is not None and encoding.strip().lower() != "chunked":
                    problem = (501, f"Transfer-Encoding {encoding[:40]!r} is not supported: send the body with a "
                                    "Content-Length or as chunked")
                elif encoding is not None and given is not None:
                    problem = (400, "Content-Length and Transfer-Encoding: chunked at once: send one of them")
                else:
                    self.length = int(given or "0")
                    return True
                self.close_connection = True
                self._answer(problem[0], json.dumps({"error": problem[1]}).encode())
                return False

            def _body(self, limit: int) -> bytes:
                """The request's body (Content-Length or chunked), at most ``limit`` bytes; :class:`BadBody` if it
                is larger or its framing is broken, and then the connection closes, its end unread."""
                try:
                    if self.chunked:
                        data = read_chunked(self.rfile, limit)
                    elif self.length <= limit:
                        data = self.rfile.read(self.length)
                    else:
                        raise BadBody(413, f"a batch of 1 byte to {limit // 2**20} MB of JSON lines")
                except BadBody:
                    self.close_connection = True
                    raise
                self.unread = False
                return data

            def finish(self) -> None:
                super().finish()
                if self.close_connection and self.unread:
                    linger(self.connection)

            def _allowed(self) -> bool:
                """The bearer token, compared in constant time; a 401 with what to do otherwise."""
                given = self.headers.get("Authorization") or ""
                if given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), collector._token):
                    return True
                with collector._lock:
                    collector.refused += 1
                # a body is not read before the token is checked: the connection closes after the answer, and what
                # the client still sends is read and dropped (:func:`linger`), never held
                self.close_connection = self.close_connection or self.unread
                why = "a wrong token" if given else "no token"
                self._answer(401, json.dumps({"error": f"{why}: send 'Authorization: Bearer TOKEN' with the token in "
                                                       f"{collector._token_path} (a log sink's token_file)"}).encode(),
                             {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"})
                return False

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                if not self._allowed():
                    return None
                if self.path != "/ingest":
                    self.close_connection = True  # its body is not read: the connection cannot carry another request
                    return self._answer(404, b'{"error": "POST /ingest"}')
                try:
                    data = self._body(MAX_BATCH)
                except BadBody as err:
                    return self._answer(err.status, json.dumps({"error": str(err)}).encode())
                if not data:
                    return self._answer(400, b'{"error": "a batch of 1 byte to 64 MB of JSON lines"}')
                source = _SAFE.sub("_", self.headers.get("X-Wabbit-Source") or self.client_address[0])[:64]
                batch = _SAFE.sub("_", self.headers.get("X-Wabbit-Batch") or hashlib.sha256(data).hexdigest()[:16])[:80]
                if not data.endswith(b"\n"):
                    data += b"\n"
                try:
                    digest = hashlib.sha256(data).hexdigest()[:12]
                    write_atomically(collector.inbox / f"{source}-{batch}-{digest}.jsonl", data, mode=0o644)
                except OSError as err:
                    return self._answer(507, json.dumps({"error": f"cannot store the batch ({err.strerror})"}).encode())
                with collector._lock:
                    collector.batches += 1
                    collector.lines += data.count(b"\n")
                self._answer(200, b'{"stored": true}')

            def _drop_body(self) -> bool:
                """Read and drop a GET's body, so that its bytes are not taken for the next request on the connection;
                False once answered (413 when over :data:`GET_BODY`, 400 when its framing is broken: the connection
                then closes)."""
                try:
                    self._body(GET_BODY)
                except BadBody as err:
                    message = (f"a GET needs no body, and this one is over {GET_BODY} bytes: send GET /model or /status "
                               "without one") if err.status == 413 else str(err)
                    self._answer(err.status, json.dumps({"error": message}).encode())
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802
                if not self._allowed() or not self._drop_body():
                    return None
                if self.path == "/status":
                    return self._answer(200, json.dumps(collector.status()).encode())
                if self.path != "/model":
                    return self._answer(404, b'{"error": "GET /model or /status"}')
                try:
                    data = collector.model.read_bytes()
                except FileNotFoundError:
                    return self._answer(404, NONE_PUBLISHED)
                digest = hashlib.sha256(data).hexdigest()
                if self.headers.get("If-None-Match") == f'"{digest}"':
                    return self._answer(304, headers={"ETag": f'"{digest}"'})
                version = published_version(collector.model.parent, data)
                self._answer(200, data, {"Content-Type": "application/octet-stream", "ETag": f'"{digest}"', "X-Model-SHA256": digest,
                                         **({"X-Model-Version": str(version)} if version is not None else {})})

        return Handler

    def stats(self) -> dict[str, Any]:
        return {"port": self.port, "batches": self.batches, "lines": self.lines, "refused": self.refused}
