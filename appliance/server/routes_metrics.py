"""``GET /api/status``, ``GET /metrics`` (Prometheus text) and ``GET /api/stream`` (server-sent events)."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from typing import Any, AsyncIterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from appliance.server.hub import EventHub, Subscriber, to_json
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
    with ExitStack() as subscription:  # released here if the snapshot fails, else by the response, however it ends
        sub = subscription.enter_context(rt.hub.subscribe(asyncio.get_running_loop()))  # first: no event is missed
        first = await asyncio.to_thread(rt.status)
        return LiveStream(events(rt.hub, sub, first), subscription.pop_all())


async def events(hub: EventHub, sub: Subscriber, first: dict[str, Any]) -> AsyncIterator[str]:
    """The snapshot, then every event the hub hands ``sub`` (a keep-alive comment after a quiet while)."""
    yield f"retry: 2000\nevent: stats\ndata: {to_json(first)}\n\n"
    while not hub.closed:
        try:
            item = await asyncio.wait_for(sub.get(), KEEPALIVE_S)
        except asyncio.TimeoutError:
            yield ": keep-alive\n\n"
            continue
        if item is None:
            break
        kind, data = item
        yield f"event: {kind}\ndata: {data}\n\n"


class LiveStream(StreamingResponse):
    """The stream's response, which ends its hub subscription when it ends: streamed to its end, failed, or its
    client gone, even before the body started (when Starlette never starts the body's generator)."""

    def __init__(self, content: AsyncIterator[str], subscription: ExitStack) -> None:
        super().__init__(content, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with self.subscription:
            await super().__call__(scope, receive, send)
