"""A ``DecideRequest`` message's context, actions and event id, checked as the HTTP API checks its body.

The HTTP body's own validation (:class:`~appliance.server.schemas.DecideRequest`) decides what is accepted and
says what is wrong. Most messages are plainly valid, so a message is first read with the body's bounds and
patterns (taken from its JSON schema, so the two cannot drift apart) in one pass, half the cost of building the
body and validating it: a message this pass does not accept goes to the body's validation, which accepts it or
says why not.

>>> from appliance.grpc import stubs
>>> pb = stubs.serving().pb
>>> decide_call(pb.DecideRequest(context={"room": pb.Namespace(features={"dark": 1.0})}, event_id="e1"))
({'room': {'dark': 1.0}}, None, 'e1')
>>> batch_calls([pb.DecideRequest(), pb.DecideRequest(actions=["a b"])])
Traceback (most recent call last):
...
appliance.errors.UsageError: batch item 1: actions.0: String should match pattern ...
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from pydantic import TypeAdapter, ValidationError

from appliance.errors import UsageError
from appliance.features import Features
from appliance.grpc.status import invalid_input
from appliance.server.schemas import DecideRequest

DecideCall = tuple[Features, list[str] | None, str | None]
"""What ``begin_decide`` takes: the context (``{}``: the sensors'), the actions (``None``: all) and the event id."""


def _schema_bounds() -> tuple[int, Any, int, Any, float, float, int, Any, Any]:
    properties = DecideRequest.model_json_schema()["properties"]
    context = properties["context"]["anyOf"][0]
    ((namespace, features),) = context["patternProperties"].items()
    ((feature, value),) = features["patternProperties"].items()
    actions = properties["actions"]["anyOf"][0]
    return (context["maxProperties"], re.compile(namespace).fullmatch, features["maxProperties"], re.compile(feature).fullmatch,
            value["minimum"], value["maximum"], actions["maxItems"], re.compile(actions["items"]["pattern"]).fullmatch,
            re.compile(properties["event_id"]["anyOf"][0]["pattern"]).fullmatch)


(_NAMESPACES, _NAMESPACE, _FEATURES, _FEATURE, _LOWEST, _HIGHEST, _ACTIONS, _ACTION, _EVENT_ID) = _schema_bounds()
_BODIES = TypeAdapter(list[DecideRequest])


def _plainly_valid(request: Any) -> DecideCall | None:
    """The message's call when every bound and pattern of the body plainly holds, else None (its maps read key by key:
    ``dict()`` of a protobuf map costs twice as much)."""
    context = request.context
    if len(context) > _NAMESPACES:
        return None
    namespaces = {}
    for namespace in context:
        features = context[namespace].features
        if len(features) > _FEATURES or not _NAMESPACE(namespace):
            return None
        values = {}
        for name in features:
            value = features[name]
            if not (_LOWEST <= value <= _HIGHEST and _FEATURE(name)):  # NaN fails the comparison too
                return None
            values[name] = value
        namespaces[namespace] = values
    actions = list(request.actions)
    if len(actions) > _ACTIONS or not all(map(_ACTION, actions)):
        return None
    event_id = request.event_id
    if event_id and not _EVENT_ID(event_id):
        return None
    return namespaces, actions or None, event_id or None


def _fields(request: Any) -> dict[str, Any]:
    """The message as the HTTP API's body."""
    context = request.context
    return {"context": {namespace: dict(context[namespace].features) for namespace in context} or None,
            "actions": list(request.actions) or None, "event_id": request.event_id or None}


def _call(body: DecideRequest) -> DecideCall:
    return body.context or {}, body.actions, body.event_id


def decide_call(request: Any) -> DecideCall:
    """One message's call; pydantic's ValidationError (INVALID_ARGUMENT) when the body's validation refuses it."""
    return _plainly_valid(request) or _call(DecideRequest.model_validate(_fields(request)))


def batch_calls(items: Sequence[Any]) -> list[DecideCall]:
    """A batch's calls; UsageError naming the first item the body's validation refuses."""
    plain = [call for call in map(_plainly_valid, items) if call is not None]
    if len(plain) == len(items):
        return plain
    fields = [_fields(item) for item in items]
    try:
        return [_call(body) for body in _BODIES.validate_python(fields)]
    except ValidationError as err:
        index = int(err.errors()[0]["loc"][0])
    try:
        DecideRequest.model_validate(fields[index])
    except ValidationError as one:
        raise UsageError(f"batch item {index}: {invalid_input(one)} (no decision of this batch was made)") from None
    raise AssertionError(f"batch item {index} was refused in its list, not alone")
