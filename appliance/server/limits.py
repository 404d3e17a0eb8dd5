"""Request size limits as ASGI middleware: a body over its path's limit is refused with 413, read or not."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Mapping

from fastapi import HTTPException

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body larger than {limit} bytes; send less (model uploads may be larger: see PUT /api/model)")


class BodyLimit:
    """Refuse bodies over ``default_bytes`` (or ``per_path[path]``, or the limit of the first ``per_suffix`` the path
    ends with) whether or not they declare a length."""

    def __init__(self, app: ASGIApp, default_bytes: int, per_path: Mapping[str, int] | None = None,
                 per_suffix: Mapping[str, int] | None = None) -> None:
        self.app, self.default, self.per_path = app, default_bytes, dict(per_path or {})
        self.per_suffix = tuple((per_suffix or {}).items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.per_path.get(path) or next((n for suffix, n in self.per_suffix if path.endswith(suffix)), self.default)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _reject(send, 413 if value.isdigit() else 400,
                              too_large(limit).detail if value.isdigit() else "invalid Content-Length header")
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counted, send)


async def _reject(send: Send, status: int, detail: str) -> None:
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and not scope["path"].startswith("/docs"):
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
