"""The central side's HTTP face: appliances' ``http`` log sinks POST batches here, their ``http`` model sources
pull the current model.

- ``POST /ingest``: a batch of raw JSON lines, written whole (atomically, fsynced) into the inbox before the
  answer 200: an acknowledged batch is on disk. It is named by the sender (header ``X-Wabbit-Source``, else
  its address), the batch id (``X-Wabbit-Batch``) and its SHA-256, so a batch sent again replaces itself, and one
  that starts at the same place but holds more (sent again after the sender restarted) is a file of its own.
- ``GET /model``: ``current.vw`` with an ``ETag`` (its SHA-256) and ``X-Model-SHA256``; ``If-None-Match`` gives 304.
- ``GET /status``: the central side's counters, as JSON.

Every request carries the central side's token (``Authorization: Bearer TOKEN``; the file ``token`` in its
directory, made at first start like the appliance's); without it, or with another, the answer is 401 with a
message saying where the token is. A ``Content-Length`` that is not a number of bytes leaves the body's end
unknown: the answer is 400 (before the token is looked at) and the connection is closed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from appliance.storage.atomic import write_atomically

MAX_BATCH = 64 * 1024 * 1024
IDLE_S = 60.0
"""How long a kept-alive connection may wait for its next request before the collector closes it."""
_SAFE = re.compile(r"[^A-Za-z0-9._-]")
_DIGITS = re.compile(r"[0-9]+")


class Collector:
    def __init__(self, inbox: Path, model: Path, host: str, port: int, status: Callable[[], dict[str, Any]],
                 token: str, token_path: Path) -> None:
        self.inbox, self.model, self.status = inbox, model, status
        self._token, self._token_path = token.encode(), token_path
        self.refused = 0
        inbox.mkdir(parents=True, exist_ok=True)
        self.batches = self.lines = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
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
                """The request line and headers, then the body's framing: a ``Content-Length`` that is not a
                number of bytes leaves the body's end unknown, so the answer is 400 and the connection closes."""
                if not super().parse_request():
                    return False
                given = (self.headers.get("Content-Length") or "0").strip()
                if _DIGITS.fullmatch(given):
                    self.length = int(given)
                    return True
                self.close_connection = True
                self._answer(400, json.dumps({"error": f"Content-Length must be a number of bytes, not {given[:40]!r}"}).encode())
                return False

            def _allowed(self) -> bool:
                """The bearer token, compared in constant time; a 401 with what to do otherwise."""
                given = self.headers.get("Authorization") or ""
                if given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), collector._token):
                    return True
                with collector._lock:
                    collector.refused += 1
                remaining = self.length
                while 0 < remaining <= MAX_BATCH:  # read what was sent: closing on unread data would reset the answer
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    remaining = remaining - len(chunk) if chunk else 0
                self.close_connection = self.close_connection or remaining > 0  # a body too large to read ends it
                why = "a wrong token" if given else "no token"
                self._answer(401, json.dumps({"error": f"{why}: send 'Authorization: Bearer TOKEN' with the token in "
                                                       f"{collector._token_path} (a log sink's token_file)"}).encode(),
                             {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"})
                return False

            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                if not self._allowed():
                    return None
                length = self.length
                if self.path != "/ingest" or not 0 < length <= MAX_BATCH:
                    self.close_connection = True  # its body is not read: the connection cannot carry another request
                if self.path != "/ingest":
                    return self._answer(404, b'{"error": "POST /ingest"}')
                if not 0 < length <= MAX_BATCH:
                    return self._answer(413 if length else 400, b'{"error": "a batch of 1 byte to 64 MB of JSON lines"}')
                data = self.rfile.read(length)
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

            def do_GET(self) -> None:  # noqa: N802
                if not self._allowed():
                    return None
                if self.path == "/status":
                    return self._answer(200, json.dumps(collector.status()).encode())
                if self.path != "/model":
                    return self._answer(404, b'{"error": "GET /model or /status"}')
                try:
                    data = collector.model.read_bytes()
                except FileNotFoundError:
                    return self._answer(404, b'{"error": "no model published yet"}')
                digest = hashlib.sha256(data).hexdigest()
                if self.headers.get("If-None-Match") == f'"{digest}"':
                    return self._answer(304, headers={"ETag": f'"{digest}"'})
                self._answer(200, data, {"Content-Type": "application/octet-stream", "ETag": f'"{digest}"', "X-Model-SHA256": digest})

        return Handler

    def stats(self) -> dict[str, Any]:
        return {"port": self.port, "batches": self.batches, "lines": self.lines, "refused": self.refused}
