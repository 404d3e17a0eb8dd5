"""``GET /api/model/features``: the model's features and interaction terms (vw-varinfo), sorted, paged, filtered.

Names and value ranges come from the event log (the decisions the model learned from), weights from the model
itself: the loop pays nothing for it (see :mod:`appliance.introspect.live`). Introspection (and numpy, which its
tables use) is imported by the first call, not at the daemon's start.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from appliance.errors import UsageError
from appliance.loop import Loop
from appliance.server.routes_decisions import ERRORS, explain
from appliance.server.runtime import Runtime, running_loop, runtime
from appliance.server.schemas import EventId, Explanation, FeatureRow, FeaturesResponse, message

router = APIRouter(prefix="/api", tags=["model"])


@router.get("/model/features", response_model=FeaturesResponse, summary="The model's features and their weights", responses={
    **ERRORS, 409: message("Safe mode, or the policy has no VW model to read (then `policy` names it: `type` and `arguments`).")})
def features(request: Request,
             sort: Literal["importance", "weight", "abs_weight", "relscore", "name", "count"] = Query(
                 "importance", description="Largest first (name: A-Z)."),
             namespace: str | None = Query(None, max_length=64, description="Only terms that cross this namespace."),
             search: str | None = Query(None, max_length=128, description="Only names containing this text (any case)."),
             offset: int = Query(0, ge=0, le=10_000_000, description="Rows to skip."),
             limit: int = Query(50, ge=1, le=1000, description="Rows to return."),
             loop: Loop = Depends(running_loop), rt: Runtime = Depends(runtime)) -> FeaturesResponse | JSONResponse:
    """Every feature and interaction term of the logged decisions with its weight, value range, RelScore and importance;
    weights no logged decision explains are counted in ``unnamed`` (and listed, nameless, at the end)."""
    from appliance.introspect.live import ModelFeatures, require_vw

    try:
        arguments = require_vw(loop.policy)
    except UsageError as err:
        return refusal(err, loop)
    cached: ModelFeatures | None = getattr(request.app.state, "model_features", None)
    if cached is None or cached.arguments != arguments:  # first use, or a new policy config
        if cached is not None:
            cached.close()
        cached = request.app.state.model_features = ModelFeatures(rt.data_dir / "events", arguments)
    table = cached.table(loop.policy)
    view = table.filter(namespace=namespace, search=search).sorted(sort)
    return FeaturesResponse(model_version=loop.policy.model_version, note=table.note, total=len(view), unnamed=table.unnamed,
                            decisions_read=cached.seen.examples,
                            rows=[FeatureRow(**r) for r in view.top(limit, offset).records()])


@router.get("/events/{event_id}/explanation", response_model=Explanation, tags=["decisions"], summary="Why a decision went as it did",
            responses={**ERRORS, 404: message("Not among the pending or the last 200 learned decisions."),
                       409: message("Safe mode, or the policy's model cannot be explained (then `policy` names it: "
                                    "`type` and `arguments`).")})
def explanation(event_id: EventId, loop: Loop = Depends(running_loop)) -> Explanation | JSONResponse:
    """Each offered action's score and top contributions for a recent decision's context, with the model as it is now
    (the dashboard's "why" of the current decision)."""
    decision = loop.joiner.waiting_decision(event_id)
    if decision is None:
        decision = next((e.decision for e in reversed(list(loop.learner.recent)) if e.decision.event_id == event_id), None)
    if decision is None:
        raise HTTPException(404, f"decision {event_id!r} is neither pending nor among the last 200 learned; explain a new "
                                 'one with POST /api/decide and "explain": true')
    try:
        return explain(loop, decision)
    except UsageError as err:  # the policy's state, not the request, is what stands in the way
        return refusal(err, loop)


def refusal(err: UsageError, loop: Loop) -> JSONResponse:
    """A 409 from the policy itself, naming it (``policy``: its type and arguments, as /api/status's ``loop.policy``):
    what a client that still holds another policy (the page before a switch of kind's stats) holds the refusal against."""
    stats = loop.policy.stats()
    return JSONResponse({"detail": str(err), "policy": {"type": stats.get("type"), "arguments": stats.get("arguments")}}, 409)
