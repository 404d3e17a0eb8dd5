"""The local web API and dashboard (FastAPI): the factory, authentication and error handling.

``/healthz``, the dashboard's static shell and ``POST /api/login`` are open; everything else, the OpenAPI
spec and its docs included, needs the bearer token or the dashboard's session cookie (a browser has it
after logging in on the dashboard). ``/docs`` works without internet: Swagger UI's script and stylesheet
come from the package fastapi-offline and are served, like the dashboard's, without a token. There is no
CORS (the dashboard is served by the daemon itself) and every request body has a size limit.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import fastapi_offline
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import ClientDisconnect

from appliance.errors import ConfigError, StorageError, UsageError
from appliance.models.base import ModelExistsError, ModelKindError, UnknownModelError
from appliance.server import (
    routes_config,
    routes_decisions,
    routes_introspect,
    routes_kit,
    routes_metrics,
    routes_model,
    routes_models,
    routes_preview,
)
from appliance.server.auth import COOKIE, SESSION_DAYS, Auth, require_auth
from appliance.server.fast_path import document_references
from appliance.server.limits import BodyLimit, BodySizes, SecurityHeaders
from appliance.server.routes_model import MAX_MODEL_BYTES
from appliance.server.runtime import Runtime
from appliance.server.schemas import LoginRequest, message

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"  # swagger-ui-bundle.js, swagger-ui.css, favicon.png
DOCS_ASSETS = "/docs/assets"
MAX_BODY_BYTES = 1024 * 1024
MAX_EXAMPLES_BYTES = 16 * 1024 * 1024  # a batch of raw examples to predict or learn
BODY_SIZES = BodySizes(MAX_BODY_BYTES, per_path={"/api/model": MAX_MODEL_BYTES},
                       per_suffix={"/model": MAX_MODEL_BYTES, "/learn": MAX_EXAMPLES_BYTES, "/predict": MAX_EXAMPLES_BYTES})


def create_app(rt: Runtime, on_ready: Callable[[], None] = lambda: None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        on_ready()
        yield

    app = FastAPI(title="Raspberry Wabbit", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, description="Local API of the Raspberry Wabbit appliance. Send "
                  "`Authorization: Bearer <token>` (the file `token` in the data directory) with every request "
                  "except `/healthz`.")
    app.state.runtime = rt
    app.state.auth = Auth(rt.token)
    app.add_middleware(BodyLimit, sizes=BODY_SIZES)
    app.add_middleware(SecurityHeaders)
    _error_handlers(app)

    @app.get("/healthz", tags=["health"], summary="Liveness (no token needed)")
    async def healthz() -> dict[str, str]:  # async: nothing blocks, so no thread-pool hop
        """200 while the daemon lives; its ``status`` is ``read-only`` or ``disk full`` while the data directory's
        file system is (the details, with the token: ``/api/status``'s ``disk``), else ``ok``."""
        disk = rt.disk.state
        return {"status": "read-only" if disk["read_only"] else "disk full" if disk["full"] else "ok"}

    authed = [Depends(require_auth)]
    lean = (routes_decisions.lean_router, routes_models.lean_router)  # these check the token themselves (fast_path)
    for router in (routes_decisions.lean_router, routes_decisions.router, routes_model.router, routes_models.router,
                   routes_models.lean_router, routes_models.calls_router, routes_introspect.router, routes_config.router,
                   routes_kit.router, routes_metrics.router, routes_preview.router):
        app.include_router(router, dependencies=None if router in lean else authed)
    document_references(app)

    @app.get("/openapi.json", include_in_schema=False, dependencies=authed)
    def openapi() -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=authed)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Raspberry Wabbit API",
                                   swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png")

    @app.post("/api/login", tags=["session"], status_code=204, response_class=Response, summary="Dashboard log-in",
              responses={401: message("Wrong token.")})
    async def login(body: LoginRequest) -> Response:
        """Exchange the access token for an HttpOnly, SameSite=Strict session cookie."""
        auth: Auth = app.state.auth
        if not auth.token_valid(body.token):
            await asyncio.sleep(0.5)  # slows guessing down; the token has 192 random bits anyway
            raise HTTPException(401, "wrong access token: copy it from the file `token` in the data directory")
        response = Response(status_code=204)
        response.set_cookie(COOKIE, auth.new_session(), max_age=SESSION_DAYS * 86400, httponly=True, samesite="strict", path="/")
        return response

    @app.post("/api/logout", tags=["session"], status_code=204, response_class=Response, summary="Dashboard log-out")
    async def logout() -> Response:
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_UI), name="docs-assets")
    return app


STATUS_OF: dict[type[Exception], int] = {UsageError: 422, ConfigError: 422, UnknownModelError: 404, ModelExistsError: 409,
                                         ModelKindError: 409}
"""The status of each error a call may raise whose message says what to fix (the body's ``detail``)."""


def _answer(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def answer(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)
    return answer


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()))
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        detail = "invalid request: " + "; ".join(problems) + ". Fix these fields (see /docs for the schema)."
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        return Response(status_code=400)  # nobody reads it: the client left, or was timed out, in mid-body

    for kind, status in STATUS_OF.items():
        app.add_exception_handler(kind, _answer(status))

    @app.exception_handler(StorageError)
    async def storage(request: Request, exc: StorageError) -> JSONResponse:
        return JSONResponse({"detail": f"{exc}. Nothing was acknowledged; retry once the disk recovers."}, status_code=503)
