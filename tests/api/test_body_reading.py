"""The lean routes read a request's body in one loop over ASGI's ``receive`` (appliance/server/limits.py
``whole_body``): the same body, the same 413 past the limit and the same ``ClientDisconnect`` as Starlette's
``Request.body`` behind the ``counted`` limit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import HTTPException
from starlette.requests import ClientDisconnect, Request

from appliance.server.limits import counted, too_large, whole_body


def messages(*parts: dict[str, Any]) -> Any:
    """An ASGI ``receive`` giving ``parts`` in turn."""
    queue = list(parts)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)
    return receive


def part(body: bytes, more: bool) -> dict[str, Any]:
    return {"type": "http.request", "body": body, "more_body": more}


def both(limit: int, *parts: dict[str, Any]) -> tuple[Any, Any]:
    """What ``whole_body`` and Starlette's ``Request.body`` (behind ``counted``) give for the same messages:
    the body, or the exception's type and detail."""
    async def outcome(read: Any) -> Any:
        try:
            return await read()
        except HTTPException as err:
            return type(err), err.status_code, err.detail
        except ClientDisconnect as err:
            return type(err)

    lean = asyncio.run(outcome(lambda: whole_body(messages(*parts), limit)))
    starlette = asyncio.run(outcome(lambda: Request({"type": "http"}, counted(messages(*parts), limit)).body()))
    return lean, starlette


@pytest.mark.parametrize("parts", [
    [part(b'{"a": 1}', False)],  # the whole body in one message
    [part(b'{"a"', True), part(b"", True), part(b": 1}", False)],  # sent in parts (chunked)
    [part(b"", False)],  # none
])
def test_a_body_within_the_limit_is_read_whole(parts: list[dict[str, Any]]) -> None:
    lean, starlette = both(8, *parts)
    assert lean == starlette == b"".join(p["body"] for p in parts)


@pytest.mark.parametrize("parts", [
    [part(b"123456789", False)],
    [part(b"12345", True), part(b"6789", False)],
    [part(b"12345", True), part(b"6789", True), part(b"never read", False)],
])
def test_a_body_over_the_limit_is_refused_with_413(parts: list[dict[str, Any]]) -> None:
    lean, starlette = both(8, *parts)
    assert lean == starlette == (HTTPException, 413, too_large(8).detail)


def test_a_client_that_leaves_mid_body_is_a_disconnect() -> None:
    lean, starlette = both(8, part(b"123", True), {"type": "http.disconnect"})
    assert lean == starlette == ClientDisconnect
