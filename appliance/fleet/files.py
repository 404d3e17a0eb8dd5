"""The central side's files: raw lines in (what the appliances' ``stream: raw`` sinks ship), joined DSJSON out.

The inbox holds JSON-lines files, each written whole (atomically) by a directory sink or the collector. The
joined directory holds numbered DSJSON files ``000000000042.dsjson`` the trainer learns in order; a file is
first written as ``.pending`` and renamed once the join that made it committed, so the trainer never sees a
batch a crash could make again.

>>> from appliance.policy.base import Decision
>>> raw = b'{"kind":"decision","event_id":"e1","timestamp":5.0,"action":"b","probability":0.8,"actions":["a","b"],' \\
...       b'"pmf":[0.2,0.8],"context":{"u":{"x":1.0}},"model_version":3}'
>>> records, bodies, bad = parse_lines([raw, b'{"kind":"reward","event_id":"e1","reward":1.0,"timestamp":6.0}', b"{oops"], 9.0)
>>> [type(r).__name__ for r in records], bad
(['DecisionIn', 'RewardIn'], 1)
>>> line = dsjson_line("e1", 5.0, 1.0, 1, bodies["e1"], {"a": {"A": {"a": 1.0}}, "b": {"A": {"b": 1.0}}}, 9.0)
>>> line[:60]
b'{"_label_cost":-1.0,"_label_probability":0.8,"_label_Action"'
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Iterable, Mapping

import orjson

from appliance.features import Features
from appliance.fleet.records import DecisionIn, Record, RewardIn
from appliance.policy.base import Decision, JoinedEvent
from appliance.storage import dsjson
from appliance.storage.atomic import fsync_dir, write_atomically

JOINED_SUFFIX, PENDING_SUFFIX = ".dsjson", ".pending"


def batch_source(name: str) -> str | None:
    """The appliance an inbox file came from, when its name says where the batch starts in that appliance's log
    (a log sink's batch id: the collector's ``SOURCE-raw-SEGMENT-OFFSET-DIGEST.jsonl``, a directory sink's
    ``PREFIX-raw-SEGMENT-OFFSET.jsonl``): its files, sorted by name, are its log in order. ``None`` otherwise.

    >>> batch_source("pi-2-raw-000003-000000001024-0123456789ab.jsonl"), batch_source("pi1-raw-000001-000000000000.jsonl")
    ('pi-2', 'pi1')
    >>> batch_source("10.0.0.7-9f86d081884c7d65-0123456789ab.jsonl") is None
    True
    """
    match = _BATCH.match(name)
    return match.group(1) if match else None


_BATCH = re.compile(r"^(.+)-raw-\d{6}-\d{12}(?:-[0-9a-f]{12})?\.jsonl$")


def parse_lines(lines: Iterable[bytes], arrival: float, source: str | None = None) -> tuple[list[Record], dict[str, bytes], int]:
    """Records from raw lines (decisions keep their line as their body), and how many lines were malformed;
    ``source``: the appliance whose log they are."""
    records: list[Record] = []
    bodies: dict[str, bytes] = {}
    bad = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            r = orjson.loads(line)
            if r["kind"] == "decision":
                decided = float(r["timestamp"])
                dsjson_line(str(r["event_id"]), decided, 0.0, 0, line, {}, arrival)  # one it could not write out is malformed
                records.append(DecisionIn(str(r["event_id"]), decided, arrival, source))
                bodies[str(r["event_id"])] = bytes(line)
            elif r["kind"] == "reward":
                rid, value, observed = r.get("reward_id"), float(r["reward"]), float(r["timestamp"])
                if not (math.isfinite(value) and math.isfinite(observed)):  # "nan", "1e400": a number JSON cannot carry
                    raise ValueError(f"{r['event_id']}: a reward and its time must be finite numbers")
                records.append(RewardIn(str(r["event_id"]), value, observed, None if rid is None else str(rid), arrival, source))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError, OSError):  # OSError: a time out of range
            bad += 1
    return records, bodies, bad


def dsjson_line(event_id: str, decided: float, reward: float, rewards: int, body: bytes | str,
                action_features: Mapping[str, Features], joined_at: float) -> bytes:
    """A joined decision as the DSJSON line the appliance itself would have logged."""
    b = orjson.loads(body)
    actions, pmf, context = tuple(b["actions"]), tuple(map(float, b["pmf"])), b.get("context") or {}
    if len(pmf) != len(actions) or not isinstance(context, dict):
        raise ValueError(f"{event_id}: a pmf of one probability per action and a context of namespaces")
    d = Decision(event_id, b["action"], actions.index(b["action"]), float(b["probability"]), pmf, actions,
                 context, int(b.get("model_version", 0)), decided)
    event = JoinedEvent(d, reward, "on_time" if rewards else "default", rewards, joined_at)
    return dsjson.encode(event, [action_features.get(a, {}) for a in actions])


def joined_name(batch: int, suffix: str = JOINED_SUFFIX) -> str:
    return f"{batch:012d}{suffix}"


def write_joined(directory: Path, batch: int, lines: list[bytes], pending: bool = False) -> Path:
    """Write one batch of joined lines whole (atomically): as ``.pending`` first when a commit must follow."""
    path = directory / joined_name(batch, PENDING_SUFFIX if pending else JOINED_SUFFIX)
    write_atomically(path, b"".join(lines), mode=0o644)
    return path


def publish_pending(directory: Path, committed_below: int) -> None:
    """Rename the pending batches a commit covered (number below ``committed_below``); delete the others."""
    for path in sorted(directory.glob(f"*{PENDING_SUFFIX}")):
        if int(path.stem) < committed_below:
            os.replace(path, path.with_suffix(JOINED_SUFFIX))
        else:
            path.unlink()
    fsync_dir(directory)


def joined_files(directory: Path, after: int) -> list[tuple[int, Path]]:
    """The joined batches numbered above ``after``, in order."""
    found = [(int(p.stem), p) for p in directory.glob(f"*{JOINED_SUFFIX}") if p.stem.isdigit()]
    return sorted((n, p) for n, p in found if n > after)
