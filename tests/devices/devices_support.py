"""Helpers shared by the devices tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable

ACTIONS = ["warm", "cool", "red", "blue"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def json_body(request: dict[str, Any]) -> Any:
    return json.loads(request["body"])


@contextmanager
def answering(answers: list[bytes], then: bytes = b"") -> Iterator[str]:
    """A loopback TCP server that reads each request and writes the next of ``answers`` (then ``then``) as raw bytes,
    to answer what an HTTP server would not: a banner that is not HTTP, a body cut short. Yields its ``http://`` URL."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return  # closed
            with connection:
                connection.recv(65536)
                connection.sendall(answers.pop(0) if answers else then)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
