"""Helpers shared by the devices tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
import socket
import time
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
