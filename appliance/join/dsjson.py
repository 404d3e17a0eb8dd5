"""Joined events as VW DSJSON lines, which ``vw --cb_explore_adf --dsjson`` reads as they are.

Key order: ``_label_cost,_label_probability,_label_Action,_labelIndex,Timestamp,Version,EventId,a,c,p``
with cost = -reward, ``a`` the 1-based action indexes with the chosen one first and ``p`` their
probabilities in the same order. Each action in ``c._multi`` carries its id as ``_id`` (VW ignores it).

>>> from appliance.policy import Decision, JoinedEvent
>>> d = Decision("e1", "warm", 1, 0.9, (0.1, 0.9), ("cool", "warm"), {"audio": {"rms": 0.5}}, 7, 0.0)
>>> line = encode(JoinedEvent(d, 1.0, "on_time", 1, 2.0), [{"Action": {"cool": 1.0}}, {"Action": {"warm": 1.0}}])
>>> line[:98]
b'{"_label_cost":-1.0,"_label_probability":0.9,"_label_Action":2,"_labelIndex":1,"Timestamp":"1970-0'
>>> event, features = decode(line.decode())
>>> event.decision.action, event.reward, event.decision.pmf, features[0]
('warm', 1.0, (0.1, 0.9), {'Action': {'cool': 1.0}})
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Sequence

import orjson

from appliance.config.policy import Features
from appliance.policy.base import Decision, JoinedEvent


def timestamp(seconds: float) -> str:
    """ISO 8601 UTC with microseconds, as Personalizer writes it.

    >>> timestamp(1.5), timestamp(59.9999996)
    ('1970-01-01T00:00:01.500000Z', '1970-01-01T00:01:00.000000Z')
    """
    whole, micros = divmod(round(seconds * 1e6), 1_000_000)
    return f"{_second(whole)}.{micros:06d}Z"


@lru_cache(maxsize=4)
def _second(whole: int) -> str:
    """The timestamp up to the second; events come in bursts within one second, so this is mostly cached."""
    return datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _seconds(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def multi_json(actions: Sequence[str], features: Sequence[Features]) -> orjson.Fragment:
    """The ``_multi`` array for a set of actions, serialised once (callers cache it: actions rarely change)."""
    return orjson.Fragment(orjson.dumps([{"_id": a, **f} for a, f in zip(actions, features)]))


def encode(event: JoinedEvent, action_features: Sequence[Features], multi: orjson.Fragment | None = None) -> bytes:
    """One DSJSON line (UTF-8, no newline). ``multi`` is the cached :func:`multi_json` of the decision's actions.

    Context values must be finite numbers (the loop checks them when deciding): JSON has no NaN.

    >>> import numpy as np
    >>> d = Decision("e2", "on", 0, 1.0, (1.0,), ("on",), {"mic": {"rms": np.float64(0.5)}}, 0, 0.0)
    >>> encode(JoinedEvent(d, 0.0, "default", 0, 1.0), [{}]).split(b',"p"')[0][-47:]
    b'"c":{"mic":{"rms":0.5},"_multi":[{"_id":"on"}]}'
    """
    d = event.decision
    chosen, pmf = d.action_index, d.pmf
    order, labels = _order(len(pmf), chosen)
    return orjson.dumps({
        "_label_cost": -float(event.reward), "_label_probability": float(d.probability),
        "_label_Action": chosen + 1, "_labelIndex": chosen, "Timestamp": timestamp(d.timestamp),
        "Version": str(d.model_version), "EventId": d.event_id, "a": labels,
        "c": {**d.context, "_multi": multi if multi is not None else multi_json(d.actions, action_features)},
        "p": [pmf[i] for i in order],
    }, option=orjson.OPT_SERIALIZE_NUMPY)  # featurizers may hand over numpy floats


@lru_cache(maxsize=1024)
def _order(actions: int, chosen: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Action indexes with the chosen one first, and the same as DSJSON's 1-based labels.

    >>> _order(3, 1)
    ((1, 0, 2), (2, 1, 3))
    """
    order = (chosen, *(i for i in range(actions) if i != chosen))
    return order, tuple(i + 1 for i in order)


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
