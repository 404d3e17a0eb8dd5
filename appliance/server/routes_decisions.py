"""``POST /api/decide``, ``POST /api/reward``, ``GET /api/events``: the Personalizer-style loop over HTTP.

Nothing is acknowledged before it is in the write-ahead log: a 200 from decide and a 202 from reward
survive ``kill -9``. Blocking loop calls run in FastAPI's thread pool (plain ``def`` endpoints), except
decide's: it decides on the event loop when the loop is free and awaits the write-ahead log without a thread,
and it reads its body itself (pydantic parses and validates the JSON in one pass; FastAPI would decode it with
``json`` first and solve the loop and runtime as dependencies). See docs/client-benchmarks.md for the costs.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from appliance.errors import UsageError
from appliance.loop import Loop
from appliance.policy.base import Decision
from appliance.server.auth import require_auth
from appliance.server.runtime import Runtime, running_loop, runtime
from appliance.server.schemas import (
    DecideRequest,
    DecideResponse,
    EventDetail,
    EventId,
    EventsResponse,
    EventSummary,
    Explanation,
    Message,
    RewardRequest,
    RewardResponse,
)

router = APIRouter(prefix="/api", tags=["decisions"])
decide_router = APIRouter(prefix="/api", tags=["decisions"])
"""``POST /api/decide`` alone: the app includes it without its token dependency, because the route checks the token
itself once the body is in (FastAPI reads a declared body before it solves dependencies: the same order)."""
B = TypeVar("B", bound=BaseModel)
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "No or wrong access token."},
    409: {"model": Message, "description": "Safe mode (invalid config), or decisions by API are switched off."},
    422: {"model": Message, "description": "Invalid input; the message says what to fix."},
}


DECIDE_BODY = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecideRequest"}}}}


@decide_router.post("/decide", response_model=DecideResponse, responses=ERRORS, summary="Choose an action",
                    openapi_extra={"requestBody": DECIDE_BODY})
async def decide(request: Request) -> Response:
    """Choose an action for a context (default: the sensors' current one). Answered once it is durable."""
    raw = await request.body()
    await require_auth(request)  # the hot path: each called in FastAPI's order, not solved as dependencies
    loop, rt = await running_loop(request), await runtime(request)
    body = parsed(DecideRequest, raw)
    if not rt.config.triggers.api:
        raise HTTPException(409, "decisions by API are switched off (triggers.api: false in the config); "
                                 "set it to true with PUT /api/config")
    context = body.context if body.context is not None else rt.current_context()
    try:  # on the event loop when the loop is free (no thread hop); in a worker thread when it is busy learning
        made = None if body.explain else loop.try_decide(context, body.actions, body.event_id)
        if made is None:
            made = await run_in_threadpool(loop.decide, context, body.actions, body.event_id)
    except UsageError as err:
        raise HTTPException(422, f"{err}; fix the request and send it again") from None
    decision, ticket = made
    why, unexplained = await run_in_threadpool(explained, loop, decision) if body.explain else (None, None)
    await ticket.wait_async()  # acknowledged once in the write-ahead log; no thread waits meanwhile
    return decide_answer(decision, why, unexplained)


def parsed(model: type[B], raw: bytes) -> B:
    """``raw`` JSON as ``model``, parsed and validated in one pass by pydantic; invalid: the error FastAPI gives a body
    it validated itself (each location under ``body``).

    >>> parsed(DecideRequest, b'{"actions": ["on"]}').actions
    ['on']
    >>> try:
    ...     parsed(DecideRequest, b'{"actions": [], "colour": 1}')
    ... except RequestValidationError as err:
    ...     [(e["loc"], e["type"]) for e in err.errors()]
    [(('body', 'actions'), 'too_short'), (('body', 'colour'), 'extra_forbidden')]
    """
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False)]) from None


def decide_answer(decision: Decision, why: Explanation | None, unexplained: str | None = None) -> Response:
    """The :class:`DecideResponse` body, written by orjson (the schema documents it; our own output is not
    validated again on its way out).

    >>> from appliance.policy.base import Decision
    >>> decide_answer(Decision("e1", "on", 0, 0.9, (0.9, 0.1), ("on", "off"), {}, 3, 12.5), None).body[:60]
    b'{"event_id":"e1","action":"on","probability":0.9,"pmf":[{"ac'
    """
    pmf = [{"action": a, "probability": p} for a, p in zip(decision.actions, decision.pmf)]
    body = {"event_id": decision.event_id, "action": decision.action, "probability": decision.probability, "pmf": pmf,
            "model_version": decision.model_version, "timestamp": decision.timestamp,
            "explanation": why.model_dump() if why is not None else None, "explanation_error": unexplained}
    return Response(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


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


@router.post(
    "/reward", status_code=202, response_model=RewardResponse, summary="Give a decision its reward",
    responses={**ERRORS, 200: {"model": RewardResponse, "description": "A duplicate (same reward id): counted once already."},
               404: {"model": Message, "description": "Unknown or expired event id."}},
)
def reward(body: RewardRequest, loop: Loop = Depends(running_loop), rt: Runtime = Depends(runtime)) -> Any:
    """202 once the reward is in the write-ahead log; 200 for a duplicate reward id; 404 for an unknown event."""
    try:
        result, ticket = loop.reward(body.event_id, body.reward, body.reward_id)
    except UsageError as err:
        raise HTTPException(422, str(err)) from None
    if result.status == "unknown":
        horizon = rt.config.join.late_horizon_s
        raise HTTPException(404, f"unknown event id {body.event_id!r}: no decision with this id is waiting for rewards "
                                 f"or closed within the last {horizon:g} s (join.late_horizon_s). Check the id "
                                 "/api/decide returned; a reward for an older decision cannot be joined.")
    ticket.wait()
    answer = RewardResponse(event_id=result.event_id or body.event_id, status=result.status, durable=True)
    return JSONResponse(answer.model_dump(), status_code=200 if result.status == "duplicate" else 202)


@router.get("/events/{event_id}", response_model=EventDetail, summary="One decision, its rewards and what became of them",
            responses={**ERRORS, 404: {"model": Message, "description": "No decision with this id is known here."}})
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
