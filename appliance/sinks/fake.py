"""A shipped fake log sink: keeps what it was sent, and fails when told to (tests of the shipper's retries); a
committing one (its ``commit`` counts, or fails when told to: tests of the cursor that waits for it).

>>> sink = RecordingSink()
>>> sink.send(b'{"EventId":"e1"}\\n', "joined-000001-000000000000"); sink.lines
[b'{"EventId":"e1"}\\n']
>>> sink.failing = 1; sink.send(b"x\\n", "b2")
Traceback (most recent call last):
...
appliance.sinks.base.SinkError: recording: told to fail (1 more time)
"""

from __future__ import annotations

from typing import Any

from appliance.sinks.base import SinkError


class RecordingSink:
    def __init__(self, name: str = "recording") -> None:
        self.name = name
        self.lines: list[bytes] = []
        self.batches: list[str] = []
        self.failing = self.failing_commits = 0
        self.commits = 0

    def send(self, data: bytes, batch_id: str) -> None:
        if self.failing:
            self.failing -= 1
            raise SinkError(f"{self.name}: told to fail ({self.failing + 1} more time{'s' if self.failing else ''})")
        self.lines.extend(data.splitlines(keepends=True))
        self.batches.append(batch_id)

    def commit(self) -> None:
        if self.failing_commits:
            self.failing_commits -= 1
            raise SinkError(f"{self.name}: told to fail a commit ({self.failing_commits + 1} more)")
        self.commits += 1

    def close(self) -> None:
        """Nothing held."""

    def stats(self) -> dict[str, Any]:
        return {"type": "recording", "lines": len(self.lines)}
