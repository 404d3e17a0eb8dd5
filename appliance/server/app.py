"""The local web API (FastAPI). ``/healthz`` needs no token; everything else a bearer token."""

from __future__ import annotations

import hmac
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable

from fastapi import Depends, FastAPI, HTTPException, Request


def create_app(status: Callable[[], dict[str, Any]], token: str, on_ready: Callable[[], None] = lambda: None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        on_ready()
        yield

    app = FastAPI(title="Raspberry Wabbit", version="0.1.0", description="Local API of the Raspberry Wabbit appliance.",
                  lifespan=lifespan)

    def authorised(request: Request) -> None:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong access token: send 'Authorization: Bearer <token>' "
                                     "(the token is in the file `token` in the data directory)")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/status", dependencies=[Depends(authorised)])
    def api_status() -> dict[str, Any]:
        return status()

    return app
