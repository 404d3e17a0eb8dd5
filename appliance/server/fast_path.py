"""The lean path of the loop's hot routes: ``POST /api/decide`` and ``/api/reward``, and the same calls on a named model
(``/api/models/{name}/decide`` and ``/reward``).

Such a route reads its body itself and checks the token, in FastAPI's order (body, then token), instead of having
FastAPI decode the JSON with ``json``, validate it again and solve the token, loop and model as dependencies; pydantic
parses and validates the body in one pass. The call runs on the event loop when the loop is free (no thread hop), in a
worker thread only when it is busy learning or checkpointing, and its write-ahead log ticket is awaited with no thread
held: nothing is answered before it is durable. The answer is written by orjson. The daemon calls these endpoints from
:class:`~appliance.server.lean_routes.LeanRoutes`, in front of the app's middleware and routing (which a request reaches
only if the app is served without it). docs/client-benchmarks.md has the costs.

The OpenAPI document stays as FastAPI wrote it for a declared body: a route declares its body with :func:`body_of`,
and :func:`document_bodies` puts the schemas of these bodies in the document's components.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from appliance.policy.base import Decision
from appliance.server.auth import require_auth
from appliance.server.schemas import DecideRequest, Explanation, Message, RewardRequest
from appliance.storage.wal_tickets import Ticket

B = TypeVar("B", bound=BaseModel)
T = TypeVar("T")
BODIES: tuple[type[BaseModel], ...] = (DecideRequest, RewardRequest)
"""The bodies lean routes read themselves (their schemas go into the OpenAPI components)."""
REFERRED: tuple[type[BaseModel], ...] = (*BODIES, Message)
"""Every model the spec names by ``$ref`` alone, which FastAPI does not list: the lean routes' bodies and
:class:`Message`, the error answers' (:func:`appliance.server.schemas.message`)."""
REF = "#/components/schemas/{model}"


def body_of(model: type[BaseModel]) -> dict[str, Any]:
    """The ``openapi_extra`` of a lean route whose JSON body is ``model`` (one of :data:`BODIES`)."""
    assert model in BODIES, f"{model.__name__} must be in fast_path.BODIES to be documented"
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}}


def document_references(app: FastAPI) -> None:
    """Add the schemas of :data:`REFERRED` to ``app``'s OpenAPI components, as FastAPI does for a body it parses
    itself (it lists only those), so that every ``$ref`` in the spec resolves whatever the routes declare."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = generate()  # FastAPI keeps it as app.openapi_schema: completed here once, in place
        readers = [APIRoute(f"/{model.__name__}", _reading(model), methods=["POST"], operation_id=model.__name__)
                   for model in REFERRED]  # routes that declare these bodies: FastAPI writes their schemas
        found = get_openapi(title="", version="", routes=readers)["components"]["schemas"]
        schemas = {**found, **spec.get("components", {}).get("schemas", {})}
        spec.setdefault("components", {})["schemas"] = {name: schemas[name] for name in sorted(schemas)}
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _reading(model: type[BaseModel]) -> Callable[..., None]:
    """An endpoint that declares ``model`` as its body, for :func:`document_bodies` alone: FastAPI writes the schema of a
    declared body exactly as it does for a routed one. It is never routed, so never called."""
    def endpoint(body: Any) -> None:
        raise RuntimeError(f"the {model.__name__} documentation endpoint is never routed")
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=model)])
    return endpoint


async def authorised_body(request: Request) -> bytes:
    """The request's body, then the token checked (401): FastAPI's order for a declared body and the token dependency."""
    raw = await request.body()
    await require_auth(request)
    return raw


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


async def durably(begin: Callable[[bool], tuple[T, Ticket] | None], in_line: bool = True) -> T:
    """The result of ``begin(False)`` run on the event loop (``None``: the loop is busy, so ``begin(True)`` runs in a
    worker thread; ``in_line=False``: in the thread at once), returned once its ticket is committed.

    >>> import asyncio
    >>> from appliance.storage.wal_tickets import DONE
    >>> asyncio.run(durably(lambda wait: None if not wait else ("in a thread", DONE)))
    'in a thread'
    """
    made = begin(False) if in_line else None
    if made is None:
        made = await run_in_threadpool(begin, True)
        assert made is not None  # begin(True) waits for the loop
    result, ticket = made
    await ticket.wait_async()  # acknowledged once in the write-ahead log; no thread waits meanwhile
    return result


def decide_answer(decision: Decision, why: Explanation | None = None, unexplained: str | None = None) -> Response:
    """The :class:`DecideResponse` body, written by orjson (the schema documents it; our own output is not
    validated again on its way out).

    >>> decide_answer(Decision("e1", "on", 0, 0.9, (0.9, 0.1), ("on", "off"), {}, 3, 12.5)).body[:60]
    b'{"event_id":"e1","action":"on","probability":0.9,"pmf":[{"ac'
    """
    pmf = [{"action": a, "probability": p} for a, p in zip(decision.actions, decision.pmf)]
    body = {"event_id": decision.event_id, "action": decision.action, "probability": decision.probability, "pmf": pmf,
            "model_version": decision.model_version, "timestamp": decision.timestamp,
            "explanation": why.model_dump() if why is not None else None, "explanation_error": unexplained}
    return JSONAnswer(orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY))


def reward_answer(event_id: str, status: str, status_code: int) -> Response:
    """The :class:`RewardResponse` body (the reward is durable by then), written by orjson.

    >>> reward_answer("e1", "accepted", 202).body
    b'{"event_id":"e1","status":"accepted","durable":true}'
    """
    return JSONAnswer(orjson.dumps({"event_id": event_id, "status": status, "durable": True}), status_code)


class JSONAnswer(Response):
    """A JSON body already encoded, and its two headers made at once (Starlette's ``Response`` looks for given headers,
    a charset and a status without a body on each answer).

    >>> JSONAnswer(b'{}', 202).raw_headers
    [(b'content-length', b'2'), (b'content-type', b'application/json')]
    """

    media_type = "application/json"

    def __init__(self, body: bytes, status_code: int = 200) -> None:  # Response.__init__ not called: nothing else to set
        self.body, self.status_code, self.background = body, status_code, None
        self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]
