"""The lean routes answered in front of the app: ``POST /api/decide`` and ``/api/reward``, and the same calls on a named
model (``/api/models/{name}/decide`` and ``/reward``).

:class:`LeanRoutes` is the ASGI app uvicorn runs. A request whose method and path are one of these four goes straight
to its endpoint, the function FastAPI routes to (which also writes the OpenAPI document), with what the app's stack
would do around it: the body limits (:class:`~appliance.server.limits.BodySizes`), the security headers, the app's exception handlers (the same
status codes, error bodies and headers) and, for an error no handler takes, Starlette's plain 500, raised again for
uvicorn to log. Everything else goes to the app. Starlette's middleware, routing and FastAPI's request handler were a
third of the event loop's time per decide (docs/client-benchmarks.md).
"""

from __future__ import annotations

import inspect
from typing import Any, Awaitable, Callable

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from appliance.server import routes_decisions, routes_models
from appliance.server.limits import SECURITY_HEADERS, BodySizes, reject, secured, whole_body

Endpoint = Callable[..., Awaitable[Response]]
Handler = Callable[[Request, Exception], Any]
DEFAULT_MODEL: dict[str, Endpoint] = {"/api/decide": routes_decisions.decide, "/api/reward": routes_decisions.reward}
"""The lean endpoints of the default model, by path."""
MODELS = "/api/models/"
NAMED_MODEL: dict[str, Endpoint] = {"decide": routes_models.decide, "reward": routes_models.reward}
"""The lean endpoints of a named model (``/api/models/{name}/CALL``), by call; the name is their second argument."""


def lean_endpoint(scope: Scope) -> tuple[Endpoint, tuple[str, ...]] | None:
    """The lean endpoint a request goes to and its arguments after the request (the model's name), or ``None``. A name
    is what Starlette's ``{name}`` matches: one or more characters other than ``/``.

    >>> [lean_endpoint({"type": "http", "method": m, "path": p}) is not None for m, p in (
    ...     ("POST", "/api/decide"), ("POST", "/api/models/m1/reward"), ("GET", "/api/decide"),
    ...     ("POST", "/api/models//decide"), ("POST", "/api/models/a/b/decide"), ("POST", "/api/decide/"))]
    [True, True, False, False, False, False]
    >>> lean_endpoint({"type": "http", "method": "POST", "path": "/api/models/m1/decide"})[1]
    ('m1',)
    """
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    endpoint = DEFAULT_MODEL.get(path)
    if endpoint is not None:
        return endpoint, ()
    if path.startswith(MODELS):
        name, _, call = path[len(MODELS):].partition("/")
        endpoint = NAMED_MODEL.get(call)
        if endpoint is not None and name:
            return endpoint, (name,)
    return None


class LeanRoutes:
    """``app`` behind a front that answers the lean routes itself (see the module); ``sizes``: the app's body limits."""

    def __init__(self, app: FastAPI, sizes: BodySizes) -> None:
        self.app, self.sizes = app, sizes
        handlers = app.exception_handlers  # Starlette's ExceptionMiddleware takes these (500 and Exception excepted)
        assert 500 not in handlers and Exception not in handlers, "a 500 handler must be applied here too"
        self.by_type: dict[type[Exception], Handler] = {k: v for k, v in handlers.items() if isinstance(k, type)}
        self.by_status: dict[int, Handler] = {k: v for k, v in handlers.items() if isinstance(k, int)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = lean_endpoint(scope)
        if route is None:
            await self.app(scope, receive, send)
            return
        endpoint, arguments = route
        limit = self.sizes.limit(scope["path"])
        refused = self.sizes.refusal(scope, limit)
        if refused is not None:
            await reject(secured(send), *refused)
            return
        scope["app"] = self.app  # what Starlette sets: the endpoints find the runtime and the token through it
        request = Request(scope, receive)
        try:
            request._body = await whole_body(receive, limit)  # Starlette's cache of the body: request.body() returns it
            response = await endpoint(request, *arguments)
        except Exception as exc:
            handler = self.handler(exc)
            if handler is None:
                await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
                raise
            response = await handler(request, exc) if inspect.iscoroutinefunction(handler) else await run_in_threadpool(handler, request, exc)
        await send({"type": "http.response.start", "status": response.status_code, "headers": [*response.raw_headers, *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": response.body})  # the lean endpoints' and handlers' answers are whole

    def handler(self, exc: Exception) -> Handler | None:
        """The app's handler of ``exc``, found as Starlette's ExceptionMiddleware finds it."""
        if isinstance(exc, HTTPException) and exc.status_code in self.by_status:
            return self.by_status[exc.status_code]
        return next((self.by_type[kind] for kind in type(exc).__mro__ if kind in self.by_type), None)

