"""Request size limits as ASGI middleware: a body over its path's limit is refused with 413, read or not."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

from fastapi import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body larger than {limit} bytes; send less (model uploads may be larger: see PUT /api/model)")


@dataclass(frozen=True)
class BodySizes:
    """The largest body each path takes: ``per_path[path]``, or the limit of the first ``per_suffix`` the path ends
    with, or ``default_bytes``."""

    default_bytes: int
    per_path: Mapping[str, int] = field(default_factory=dict)
    per_suffix: Mapping[str, int] = field(default_factory=dict)

    def limit(self, path: str) -> int:
        """The largest body ``path`` takes (bytes).

        >>> BodySizes(10, {"/a": 20}, {"/b": 30}).limit("/x/b"), BodySizes(10, {"/a": 20}, {"/b": 30}).limit("/c")
        (30, 10)
        """
        limit = self.per_path.get(path)
        if limit:
            return limit
        for suffix, limit in self.per_suffix.items():  # a loop, not next() over a generator: asked once per request
            if path.endswith(suffix):
                return limit
        return self.default_bytes

    @staticmethod
    def refusal(scope: Scope, limit: int) -> tuple[int, str] | None:
        """The status and detail for a declared length over ``limit`` (413) or not a number (400); ``None``: no
        length declared, or one within the limit."""
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                return (413, str(too_large(limit).detail)) if value.isdigit() else (400, "invalid Content-Length header")
        return None


class BodyLimit:
    """Refuse bodies over their path's limit (``sizes``) whether or not they declare a length.
    :mod:`appliance.server.lean_routes` applies the same checks in front of the app."""

    def __init__(self, app: ASGIApp, sizes: BodySizes) -> None:
        self.app, self.sizes = app, sizes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.sizes.limit(scope["path"])
        refused = self.sizes.refusal(scope, limit)
        if refused is not None:
            await reject(send, *refused)
            return
        await self.app(scope, counted(receive, limit), send)


def counted(receive: Receive, limit: int) -> Receive:
    """``receive``, raising 413 (HTTPException) once the body's parts add up to more than ``limit`` bytes."""
    seen = 0

    async def receive_counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message
    return receive_counted


async def whole_body(receive: Receive, limit: int) -> bytes:
    """The request's body, read in one loop over ``receive``: 413 (HTTPException) once its parts add up to more than
    ``limit`` bytes, ``ClientDisconnect`` if the client leaves first (what Starlette's ``Request.body`` raises, without
    its async generator and :func:`counted`'s wrapper)."""
    message = await receive()
    body: bytes = message.get("body", b"")
    if message["type"] == "http.request" and not message.get("more_body", False) and len(body) <= limit:
        return body  # the whole body in one message: nearly every request
    parts, seen = [], 0
    while True:
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        part = message.get("body", b"")
        seen += len(part)
        if seen > limit:
            raise too_large(limit)
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)
        message = await receive()


async def reject(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"),
]


class SecurityHeaders:
    """No framing, no MIME sniffing, no referrers, scripts and styles only from the daemon itself (images also
    from ``blob:``: the dashboard shows the camera preview it fetched with its session as an object URL)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/docs"):
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, secured(send))


def secured(send: Send) -> Send:
    """``send`` adding the security headers to the response's head."""
    async def send_secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)
    return send_secured
