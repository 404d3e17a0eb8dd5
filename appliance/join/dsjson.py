"""Joined events as VW DSJSON lines, which ``vw --cb_explore_adf --dsjson`` reads as they are.

Key order: ``_label_cost,_label_probability,_label_Action,_labelIndex,Timestamp,Version,EventId,a,c,p``
with cost = -reward, ``a`` the 1-based action indexes with the chosen one first and ``p`` their
probabilities in the same order. Each action in ``c._multi`` carries its id as ``_id`` (VW ignores it).

>>> from appliance.policy import Decision, JoinedEvent
>>> d = Decision("e1", "warm", 1, 0.9, (0.1, 0.9), ("cool", "warm"), {"audio": {"rms": 0.5}}, 7, 0.0)
>>> line = encode(JoinedEvent(d, 1.0, "on_time", 1, 2.0), [{"Action": {"cool": 1.0}}, {"Action": {"warm": 1.0}}])
>>> line[:98]
'{"_label_cost":-1.0,"_label_probability":0.9,"_label_Action":2,"_labelIndex":1,"Timestamp":"1970-0'
>>> event, features = decode(line)
>>> event.decision.action, event.reward, event.decision.pmf, features[0]
('warm', 1.0, (0.1, 0.9), {'Action': {'cool': 1.0}})
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

from appliance.config.policy import Features
from appliance.policy.base import Decision, JoinedEvent

_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def timestamp(seconds: float) -> str:
    """ISO 8601 UTC with microseconds, as Personalizer writes it.

    >>> timestamp(1.5)
    '1970-01-01T00:00:01.500000Z'
    """
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def multi_json(actions: Sequence[str], features: Sequence[Features]) -> str:
    """The ``_multi`` array for a set of actions (callers cache it: actions rarely change)."""
    return _dumps([{"_id": a, **f} for a, f in zip(actions, features)])


def encode(event: JoinedEvent, action_features: Sequence[Features], multi: str | None = None) -> str:
    """One DSJSON line (no newline). ``multi`` is the cached :func:`multi_json` of the decision's actions."""
    d = event.decision
    order = [d.action_index] + [i for i in range(len(d.actions)) if i != d.action_index]
    context = _dumps(d.context)
    multi = multi if multi is not None else multi_json(d.actions, action_features)
    c = (context[:-1] + "," if len(context) > 2 else "{") + f'"_multi":{multi}}}'
    return (
        f'{{"_label_cost":{_dumps(-event.reward)},"_label_probability":{_dumps(d.probability)},'
        f'"_label_Action":{d.action_index + 1},"_labelIndex":{d.action_index},'
        f'"Timestamp":"{timestamp(d.timestamp)}","Version":"{d.model_version}","EventId":{_dumps(d.event_id)},'
        f'"a":{_dumps([i + 1 for i in order])},"c":{c},"p":{_dumps([d.pmf[i] for i in order])}}}'
    )


def decode(line: str) -> tuple[JoinedEvent, list[Features]]:
    """A DSJSON line back into the joined event and each action's features; ``ValueError`` if malformed."""
    try:
        obj: dict[str, Any] = json.loads(line)
        c = dict(obj["c"])
        multi = c.pop("_multi")
        actions = tuple(str(m.get("_id", i + 1)) for i, m in enumerate(multi))
        features = [{k: v for k, v in m.items() if not k.startswith("_")} for m in multi]
        index = int(obj["_labelIndex"])
        pmf = [0.0] * len(actions)
        for a, p in zip(obj["a"], obj["p"]):
            pmf[int(a) - 1] = float(p)
        context = {k: v for k, v in c.items() if not k.startswith("_")}
        ts = _seconds(obj["Timestamp"])
        decision = Decision(str(obj["EventId"]), actions[index], index, float(obj["_label_probability"]),
                            tuple(pmf), actions, context, int(obj.get("Version") or 0), ts)
        return JoinedEvent(decision, -float(obj["_label_cost"]), "replay", 1, ts), features
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise ValueError(f"not a Raspberry Wabbit DSJSON event: {type(err).__name__}: {err}") from None
