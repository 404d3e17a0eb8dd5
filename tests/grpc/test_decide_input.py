"""A DecideRequest message's call, read in one pass when it is plainly valid, is always what the HTTP body's own
validation makes of it: the same call, or the same refusal (appliance/grpc/decide_input.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from appliance.errors import UsageError
from appliance.grpc import stubs
from appliance.grpc.decide_input import batch_calls, decide_call
from appliance.server.schemas import DecideRequest

pb = stubs.serving().pb
valid = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,70}", fullmatch=True)
names = valid | st.text(max_size=70) | st.sampled_from(["", "a b", "_x", "-x", ".x", "x\n", "é", "a" * 64, "a" * 65, "a" * 128, "a" * 129])
values = (st.floats(-2e9, 2e9) | st.sampled_from([1e9, -1e9, 1e9 + 1, -1e9 - 1, float("nan"), float("inf"), -float("inf"), 0.0, -0.0]))
contexts = st.dictionaries(names, st.dictionaries(names, values, max_size=4), max_size=4)


def message(context: dict[str, dict[str, float]], actions: list[str], event_id: str) -> Any:
    return pb.DecideRequest(context={ns: pb.Namespace(features=f) for ns, f in context.items()}, actions=actions, event_id=event_id)


def by_the_body(request: Any) -> Any:
    """What the HTTP body's validation makes of the message: its call, or its refusal's errors."""
    try:
        body = DecideRequest.model_validate({
            "context": {ns: dict(v.features) for ns, v in request.context.items()} or None,
            "actions": list(request.actions) or None, "event_id": request.event_id or None})
    except ValidationError as err:
        return [e["type"] for e in err.errors()]
    return body.context or {}, body.actions, body.event_id


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(context=contexts, actions=st.lists(names, max_size=3), event_id=names)
def test_a_message_gets_the_bodys_call_or_its_refusal(context: dict[str, dict[str, float]], actions: list[str], event_id: str) -> None:
    request = message(context, actions, event_id)
    expected = by_the_body(request)
    try:
        got: Any = decide_call(request)
    except ValidationError as err:
        got = [e["type"] for e in err.errors()]
    assert got == expected


def sized(bound: str, n: int) -> Any:
    """A message with ``n`` namespaces, features or actions."""
    if bound == "namespaces":
        return message({f"n{i}": {"x": 1.0} for i in range(n)}, [], "")
    if bound == "features":
        return message({"u": {f"f{i}": 1.0 for i in range(n)}}, [], "")
    return message({}, [f"a{i}" for i in range(n)], "")


@pytest.mark.parametrize(("bound", "most"), [("namespaces", 64), ("features", 1024), ("actions", 256)])
def test_the_bodys_size_bounds_hold(bound: str, most: int) -> None:
    with pytest.raises(ValidationError, match="at most"):
        decide_call(sized(bound, most + 1))
    assert decide_call(sized(bound, most)) == by_the_body(sized(bound, most))


def test_a_batch_names_its_first_item_refused() -> None:
    good, nan = message({"u": {"x": 1.0}}, [], "e1"), message({"u": {"x": float("nan")}}, [], "")
    assert batch_calls([good, good]) == [({"u": {"x": 1.0}}, None, "e1")] * 2
    for items, index in (([good, nan, message({}, ["a b"], "")], 1), ([message({}, [], "_e"), nan], 0)):
        with pytest.raises(UsageError, match=rf"^batch item {index}: .*\(no decision of this batch was made\)$"):
            batch_calls(items)
