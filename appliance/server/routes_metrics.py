"""``GET /api/status``, ``GET /metrics`` (Prometheus text) and ``GET /api/stream`` (server-sent events)."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from appliance.server.hub import to_json
from appliance.server.routes_decisions import ERRORS
from appliance.server.runtime import Runtime, runtime
from appliance.server.stats import prometheus

router = APIRouter(tags=["stats"])
KEEPALIVE_S = 15.0


@router.get("/api/status", responses=ERRORS, summary="One stats snapshot")
def status(rt: Runtime = Depends(runtime)) -> dict[str, Any]:
    """Workers, rates, pending joins, reward averages, model version, devices, host temperature; or the safe-mode error."""
    return rt.status()


@router.get("/metrics", response_class=PlainTextResponse, responses=ERRORS, summary="Prometheus metrics")
def metrics(rt: Runtime = Depends(runtime)) -> PlainTextResponse:
    return PlainTextResponse(prometheus(rt.status()), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/api/stream", responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "Server-sent events."}},
            response_class=StreamingResponse, summary="Live events for the dashboard")
async def stream(request: Request, rt: Runtime = Depends(runtime)) -> StreamingResponse:
    """Server-sent events: ``stats`` (a snapshot, about once a second), ``decision``, ``reward``, ``joined``."""
    loop = asyncio.get_running_loop()
    first = await asyncio.to_thread(rt.status)

    async def events() -> AsyncIterator[str]:
        with rt.hub.subscribe(loop) as sub:
            yield f"retry: 2000\nevent: stats\ndata: {to_json(first)}\n\n"
            while not rt.hub.closed:
                try:
                    item = await asyncio.wait_for(sub.get(), KEEPALIVE_S)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if item is None:
                    break
                kind, data = item
                yield f"event: {kind}\ndata: {data}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
