"""``POST /api/decide``, ``POST /api/reward``, ``GET /api/events``: the Personalizer-style loop over HTTP.

Nothing is acknowledged before it is in the write-ahead log: a 200 from decide and a 202 from reward
survive ``kill -9``. Decide and reward take the lean path (:mod:`appliance.server.fast_path`: the body read and
validated in one pass, the token checked in FastAPI's order, the call on the event loop when the loop is free, the
write-ahead log awaited without a thread); the other endpoints run in FastAPI's thread pool (plain ``def``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from appliance.errors import UsageError
from appliance.loop import Loop
from appliance.policy.base import Decision
from appliance.server.fast_path import authorised_body, body_of, decide_answer, durably, parsed, reward_answer
from appliance.server.runtime import running_loop, runtime
from appliance.server.schemas import (
    DecideRequest,
    DecideResponse,
    EventDetail,
    EventId,
    EventsResponse,
    EventSummary,
    Explanation,
    RewardRequest,
    RewardResponse,
    message,
)

router = APIRouter(prefix="/api", tags=["decisions"])
lean_router = APIRouter(prefix="/api", tags=["decisions"])
"""Decide and reward: the app includes them without its token dependency, because they check the token themselves
once the body is in (FastAPI reads a declared body before it solves dependencies: the same order)."""
ERRORS: dict[int | str, dict[str, Any]] = {
    401: message("No or wrong access token."),
    409: message("Safe mode (a config invalid, or valid but could not start), or decisions by API are switched off."),
    422: message("Invalid input; the message says what to fix."),
}
UNWRITTEN: dict[int | str, dict[str, Any]] = {
    503: message("Not written, so not acknowledged: the write-ahead log failed (e.g. the data directory's disk is full); "
                 "the message says where and what to do. Send it again then."),
}


@lean_router.post("/decide", response_model=DecideResponse, responses={**ERRORS, **UNWRITTEN}, summary="Choose an action",
                  openapi_extra=body_of(DecideRequest))
async def decide(request: Request) -> Response:
    """Choose an action for a context (default: the sensors' current one). Answered once it is durable."""
    raw = await authorised_body(request)
    loop, rt = await running_loop(request), await runtime(request)
    body = parsed(DecideRequest, raw)
    if not rt.config.triggers.api:
        raise HTTPException(409, "decisions by API are switched off (triggers.api: false in the config); "
                                 "set it to true with PUT /api/config")
    context = body.context if body.context is not None else rt.current_context()
    try:  # an explained decision goes to a worker thread at once: its explanation is made there too
        decision = await durably(lambda wait: (loop.decide if wait else loop.try_decide)(context, body.actions, body.event_id),
                                 in_line=not body.explain)
    except UsageError as err:
        raise HTTPException(422, f"{err}; fix the request and send it again") from None
    why, unexplained = await run_in_threadpool(explained, loop, decision) if body.explain else (None, None)
    return decide_answer(decision, why, unexplained)


def explain(loop: Loop, decision: Decision) -> Explanation:
    """The decision's explanation; a ``UsageError`` for a policy without a VW model, or with options introspection
    does not read (``update: coin``, ``exploration: rnd``, ``cb_type: dr``)."""
    explainer = getattr(loop.policy, "explain", None)
    if explainer is None:
        raise UsageError(f"the policy is {type(loop.policy).__name__}, which has no model to explain (policy.type: vw has one)")
    return Explanation.model_validate(explainer(decision).as_dict())


def explained(loop: Loop, decision: Decision) -> tuple[Explanation | None, str | None]:
    """The decision's explanation, or why there is none. The decision is made and logged by then: a model that cannot
    be explained must not cost the client the decision's id (its reward would be lost), so the reason comes with it."""
    try:
        return explain(loop, decision), None
    except UsageError as err:
        return None, f"{err}; the decision stands without an explanation"


@lean_router.post(
    "/reward", status_code=202, response_model=RewardResponse, summary="Give a decision its reward",
    responses={**ERRORS, **UNWRITTEN, 200: {"model": RewardResponse, "description": "A duplicate (same reward id): counted once already."},
               404: message("Unknown or expired event id.")},
    openapi_extra=body_of(RewardRequest),
)
async def reward(request: Request) -> Response:
    """202 once the reward is in the write-ahead log; 200 for a duplicate reward id; 404 for an unknown event."""
    raw = await authorised_body(request)
    loop, rt = await running_loop(request), await runtime(request)
    body = parsed(RewardRequest, raw)
    try:
        result = await durably(lambda wait: (loop.reward if wait else loop.try_reward)(body.event_id, body.reward, body.reward_id))
    except UsageError as err:
        raise HTTPException(422, str(err)) from None
    if result.status == "unknown":
        horizon = rt.config.join.late_horizon_s
        raise HTTPException(404, f"unknown event id {body.event_id!r}: no decision with this id is waiting for rewards "
                                 f"or closed within the last {horizon:g} s (join.late_horizon_s). Check the id "
                                 "/api/decide returned; a reward for an older decision cannot be joined.")
    return reward_answer(result.event_id or body.event_id, result.status, 200 if result.status == "duplicate" else 202)


@router.get("/events/{event_id}", response_model=EventDetail, summary="One decision, its rewards and what became of them",
            responses={**ERRORS, 404: message("No decision with this id is known here.")})
def event(event_id: EventId, loop: Loop = Depends(running_loop)) -> EventDetail:
    """The decision, its rewards, how it was learned and its late rewards, pending or learned, from the loop's memory
    or, once it is older, from the event log (also across restarts)."""
    found = loop.find(event_id)
    if found is None:
        raise HTTPException(404, f"no decision {event_id!r} is pending, recent, or in the newest part of the event log; "
                                 "check the id /api/decide returned")
    return EventDetail(**found)


@router.get("/events", response_model=EventsResponse, responses=ERRORS, summary="Recent decisions and their rewards")
def events(limit: int = Query(50, ge=1, le=200, description="How many (most recent first)."),
           loop: Loop = Depends(running_loop)) -> EventsResponse:
    joined = {e["event_id"]: e for e in loop.recent_joined()}
    out: list[EventSummary] = []
    for d in reversed(loop.recent_decisions()):
        j = joined.get(d["event_id"])
        base = {k: d[k] for k in ("event_id", "action", "probability", "pmf", "model_version", "timestamp")}
        if j is not None:
            out.append(EventSummary(**base, status="joined", reward=j["reward"], outcome=j["outcome"]))
        else:
            rewards = [r.value for r in loop.joiner.rewards_of(d["event_id"])]
            out.append(EventSummary(**base, status="pending", rewards_so_far=rewards))
        if len(out) >= limit:
            break
    return EventsResponse(events=out)
