"""The central join without a cluster: new inbox files go into the durable joiner (each file once, in the same
transaction as its records; then they move to ``inbox/taken/``, so a step lists only new files), and every step
closes what the clock says is due into a numbered DSJSON batch.

A decision closes ``grace_s`` after both the end of its wait and its arrival (the wall clock) and once its
own appliance's log has passed the end of its wait by ``grace_s`` (its watermark: an inbox file's name says
which appliance's log it is and where in it the batch starts, :func:`~appliance.fleet.files.batch_source`), so
an appliance that was down (kill -9, a reboot) loses none of the rewards it logs when it is up again. One that
ships nothing for ``idle_timeout_s`` stops holding its decisions: they close by the wall clock (counted as
``closed_idle``, logged), so the join stalls at most that long on an appliance that never comes back (the
watermark problem of Spark, Flink and Kafka Streams, bounded); records later than ``grace_s`` in their
appliance's log are missed. The clock's time while the central side was down does not count against what the
appliances shipped meanwhile: the first step after a start (the collector is listening by then) holds every
close for ``grace_s`` (:meth:`DurableJoiner.resume`), time for their sinks to send their backlog, and an
appliance's idle time counts from then.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from appliance.config.join import JoinConfig
from appliance.features import Features
from appliance.fleet.durable import DurableJoiner
from appliance.fleet.files import batch_source, dsjson_line, parse_lines, publish_pending, write_joined
from appliance.fleet.records import Joined
from appliance.storage.atomic import fsync_dir

log = logging.getLogger(__name__)
MAX_FILES_PER_STEP = 200


def _key(path: Path) -> str:
    """A file as taken in: its name and size (a batch sent again replaces its file, maybe with more lines: the
    records taken twice are kept once)."""
    return f"{path.name}:{path.stat().st_size}"


class SqliteEngine:
    def __init__(self, inbox: Path, state: Path, joined: Path, config: JoinConfig, grace_s: float,
                 action_features: Mapping[str, Features], clock: Callable[[], float] = time.time,
                 idle_timeout_s: float = 600.0) -> None:
        self.inbox, self.joined_dir, self.clock = inbox, joined, clock
        self.taken: Path | None = inbox / "taken"
        for d in (inbox, state, joined):
            d.mkdir(parents=True, exist_ok=True)
        self.joiner = DurableJoiner(state / "join.db", config, grace_s, idle_timeout_s=idle_timeout_s)
        self._features = action_features
        self._seen = self.joiner.sources()
        publish_pending(joined, self.joiner.next_batch)
        self.files = self.records = self.malformed = self.emitted = 0
        self._resumed = False

    def step(self) -> int:
        """Take in new files, close what is due; returns how many decisions were joined."""
        if not self._resumed:
            self.joiner.resume(self.clock())
            self._resumed = True
        listed = sorted(self.inbox.glob("*.jsonl"))
        new = [p for p in listed if _key(p) not in self._seen][:MAX_FILES_PER_STEP]
        if new:
            now = self.clock()
            records, bodies, bad = [], {}, 0
            for path in new:
                r, b, n = parse_lines(path.read_bytes().splitlines(), now, batch_source(path.name))
                records += r
                bodies.update(b)
                bad += n
            keys = [_key(p) for p in new]
            self.joiner.add(records, bodies, keys)
            self._seen.update(keys)
            self.files, self.records, self.malformed = self.files + len(new), self.records + len(records), self.malformed + bad
        self._put_away([p for p in listed if _key(p) in self._seen])
        out = self.joiner.due_with_bodies(self.clock(), self._write)
        if out:
            publish_pending(self.joined_dir, self.joiner.next_batch)
            self.emitted += len(out)
        return len(out)

    def _put_away(self, paths: list[Path]) -> None:
        """Move files taken in (their records committed) to ``inbox/taken/``, so a step lists only new ones (each step
        listed every file ever shipped); one sent again later comes back to the inbox and goes there again."""
        if not paths or self.taken is None:
            return
        try:
            self.taken.mkdir(exist_ok=True)
            for path in paths:
                os.replace(path, moved := self.taken / path.name)
                if _key(moved) not in self._seen:  # a directory sink wrote it again, longer, since it was listed: take it in
                    os.replace(moved, path)
            fsync_dir(self.taken)
        except OSError as err:  # a read-only shared folder: the join goes on, listing every file at each step
            log.warning("cannot move the inbox files taken in to %s (%s): each step lists them all again; give the "
                        "central side write access to %s", self.taken, err.strerror, self.inbox)
            self.taken = None

    def _write(self, batch: int, joined: list[tuple[Joined, bytes | None]]) -> None:
        lines = [dsjson_line(j.event_id, j.decided, j.reward, j.rewards, body, self._features, j.emitted)
                 for j, body in joined if body is not None]
        write_joined(self.joined_dir, batch, lines, pending=True)

    def stats(self) -> dict[str, Any]:
        held, size = self.joiner.state()
        return {"engine": "sqlite", "files": self.files, "records": self.records, "malformed": self.malformed,
                "joined": self.emitted, "held": held, "bytes": size, "orphans_evicted": self.joiner.orphans_evicted,
                "closed_idle": self.joiner.closed_idle}

    def close(self) -> None:
        self.joiner.close()
