"""Who may use the API: a bearer token, or the dashboard's session cookie signed with that token.

The cookie is ``nonce.expiry.signature`` (HMAC-SHA256 keyed by the token): nothing is kept on the server,
and replacing the token file logs every session out.

>>> auth = Auth("s3cret", clock=lambda: 1000.0)
>>> cookie = auth.new_session()
>>> auth.session_valid(cookie), auth.session_valid(cookie + "x"), auth.token_valid("s3cret")
(True, False, True)
>>> Auth("s3cret", clock=lambda: 1000.0 + 31 * 86400).session_valid(cookie)
False
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Callable

from fastapi import HTTPException, Request

COOKIE = "wabbit_session"
SESSION_DAYS = 30


class Auth:
    def __init__(self, token: str, clock: Callable[[], float] = time.time) -> None:
        self._token = token.encode()
        self._clock = clock

    def token_valid(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token)

    def _sign(self, message: str) -> str:
        return hmac.new(self._token, message.encode(), hashlib.sha256).hexdigest()

    def new_session(self) -> str:
        message = f"{secrets.token_urlsafe(12)}.{int(self._clock()) + SESSION_DAYS * 86400}"
        return f"{message}.{self._sign(message)}"

    def session_valid(self, cookie: str) -> bool:
        message, _, signature = cookie.rpartition(".")
        expiry = message.rpartition(".")[2]
        if not expiry.isdigit() or not hmac.compare_digest(signature.encode(), self._sign(message).encode()):
            return False
        return int(expiry) > self._clock()

    def allowed(self, request: Request) -> bool:
        """The request's first ``Authorization`` header if it is a bearer token, else its session cookie, is valid.

        >>> auth = Auth("s3cret")
        >>> def asking(*headers: tuple[bytes, bytes]) -> Request:
        ...     return Request({"type": "http", "headers": list(headers)})
        >>> auth.allowed(asking((b"authorization", b"bearer  s3cret "))), auth.allowed(asking((b"authorization", b"Bearer x")))
        (True, False)
        >>> auth.allowed(asking((b"cookie", f"{COOKIE}={auth.new_session()}".encode()))), auth.allowed(asking())
        (True, False)
        """
        header = _first(request, b"authorization")
        if header[:7].lower() == "bearer ":
            return self.token_valid(header[7:].strip())
        cookie = request.cookies.get(COOKIE)
        return cookie is not None and self.session_valid(cookie)


def _first(request: Request, name: bytes) -> str:
    """The value of the request's first header ``name`` (lower case), or ``""``: what ``request.headers.get`` gives,
    without building Starlette's ``Headers`` (asked on every call of the API)."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


async def require_auth(request: Request) -> None:
    """FastAPI dependency: 401 unless the request carries the token or a valid session (``async``: it never
    blocks, so it runs on the event loop instead of costing a thread-pool hop)."""
    auth: Auth = request.app.state.auth
    if not auth.allowed(request):
        raise HTTPException(
            401, "missing or wrong access token: send 'Authorization: Bearer <token>' (the token is in the file "
            "`token` in the data directory), or log in on the dashboard",
            headers={"WWW-Authenticate": "Bearer"},
        )
