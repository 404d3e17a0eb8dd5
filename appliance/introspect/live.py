"""The running appliance's model, introspected: names and ranges from its event log, weights from its policy.

The event log is the stream the model learned from, in DSJSON, so the loop pays nothing for introspection:
the log is read where the last request left it (complete lines only; at first the newest ``max_bytes``), and a
table is built again only when the model version or the log moved on.

>>> import tempfile, vowpalwabbit
>>> events = Path(tempfile.mkdtemp())
>>> line = '{"c": {"room": {"dark": 0.5}, "_multi": [{"_id": "on", "Action": {"on": 1}}]}, "a": [1]}\\n'
>>> _ = (events / "events-000001.dsjson").write_text(line * 3 + '{"c": {"ro')
>>> reader = LogReader(events)
>>> seen = Observations.of(vowpalwabbit.Workspace("--quiet --cb_explore_adf --interactions :A"))
>>> reader.read(seen), seen.examples, reader.read(seen)
(3, 3, 0)
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any

from appliance.errors import UsageError
from appliance.introspect.layout import open_model, read_layout
from appliance.introspect.observed import Observations
from appliance.introspect.readers import add_dsjson_line
from appliance.introspect.table import Varinfo
from appliance.introspect.varinfo import varinfo

MAX_LOG_BYTES = 16 * 1024 * 1024
"""How much of the log a first read takes (the newest part: about 30,000 decisions, a few seconds to read)."""


class LogReader:
    """Reads an event-log directory (``events-NNNNNN.dsjson``) incrementally, complete lines only."""

    def __init__(self, directory: Path, max_bytes: int = MAX_LOG_BYTES) -> None:
        self.directory, self._max = directory, max_bytes
        self._at: tuple[int, int] | None = None  # (segment, offset) read up to

    def _segments(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in self.directory.glob("events-*.dsjson"))

    def _start(self, segments: list[int]) -> tuple[int, int]:
        """The newest segments, ``max_bytes`` of them at most (the first one possibly from its middle)."""
        budget = self._max
        for segment in reversed(segments):
            size = (self.directory / f"events-{segment:06d}.dsjson").stat().st_size
            if size >= budget:
                return segment, size - budget
            budget -= size
        return (segments[0], 0) if segments else (0, 0)

    def read(self, seen: Observations) -> int:
        """Add the decisions logged since the last read to ``seen``; how many were added."""
        segments = self._segments()
        if not segments:
            return 0
        segment, offset = self._at if self._at is not None and self._at[0] >= segments[0] else self._start(segments)
        added = 0
        for number in (s for s in segments if s >= segment):
            with open(self.directory / f"events-{number:06d}.dsjson", "rb") as f:
                f.seek(offset if number == segment else 0)
                data = f.read()
            end = data.rfind(b"\n") + 1  # a line still being written waits for the next read
            lines = data[:end].split(b"\n")
            if number == segment and offset and self._at is None:
                lines = lines[1:]  # started in the middle of a line
            for line in lines:
                if line.strip():
                    try:
                        add_dsjson_line(seen, line)
                        added += 1
                    except (ValueError, KeyError, TypeError):
                        pass  # not a decision (the appliance writes none such; `wabbit replay` reports them)
            self._at = (number, (offset if number == segment else 0) + end)
        return added


class ModelFeatures:
    """``GET /api/model/features`` for one policy: its varinfo table, rebuilt when the model or the log moves on."""

    def __init__(self, events: Path, arguments: list[str]) -> None:
        import vowpalwabbit

        self.arguments = arguments
        self._hashing = vowpalwabbit.Workspace(arg_list=[*arguments, "--quiet"])  # hashes names as the policy's model does
        # the appliance's policy is a contextual bandit, also where VW runs its cost-sensitive learner (cb_type python:NAME)
        self.seen = Observations.of(self._hashing, read_layout(self._hashing, kind="contextual bandit"))
        self._reader = LogReader(events)
        self._lock = threading.Lock()
        self._cached: tuple[tuple[int, int], Varinfo] | None = None

    def table(self, policy: Any) -> Varinfo:
        """The policy's model as it is now (saved and read back), with every decision of the log read so far."""
        with self._lock:
            self._reader.read(self.seen)
            key = (policy.model_version, self.seen.examples)
            if self._cached is not None and self._cached[0] == key:
                return self._cached[1]
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "model.vw"
                policy.save(path)
                workspace = open_model(path)
            try:
                table = varinfo(workspace, self.seen)
            finally:
                workspace.finish()
            self._cached = (key, table)
            return table

    def close(self) -> None:
        self._hashing.finish()


def require_vw(policy: Any) -> list[str]:
    """The VW arguments of ``policy``, or a ``UsageError`` for a policy without a VW model."""
    arguments = getattr(policy, "arguments", None)
    if not isinstance(arguments, list):
        raise UsageError(f"the policy is {type(policy).__name__}, which has no Vowpal Wabbit model to introspect "
                         "(policy.type: vw has one)")
    return arguments
