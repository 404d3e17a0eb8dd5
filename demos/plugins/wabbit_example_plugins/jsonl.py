"""``observers: [{type: jsonl, path: joined.jsonl}]``: every joined event as one JSON line, appended to a file.

>>> import tempfile
>>> from appliance.policy import JoinedEvent, UniformPolicy
>>> path = Path(tempfile.mkdtemp()) / "joined.jsonl"
>>> observer = JSONLinesObserver(JSONLinesConfig(path=path), name="log")
>>> d = UniformPolicy.of(["on", "off"], seed=1).decide({}, "e1", 0.0)
>>> observer.handle(EventJoined(JoinedEvent(d, 1.0, "on_time", 1, 2.0))); observer.close()
>>> path.read_text()
'{"event_id": "e1", "action": "on", "probability": 0.5, "reward": 1.0, "outcome": "on_time"}\\n'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from appliance.config.observers import ObserverConfigBase
from appliance.events import EventJoined
from appliance.observers.base import ObserverHome


class JSONLinesConfig(ObserverConfigBase):
    example = {"path": "joined.jsonl"}
    type: Literal["jsonl"] = Field("jsonl", description="Append every joined event as a JSON line to a file.")
    path: Path = Field(description="The file the lines are appended to (created if missing); a relative path is "
                       "inside the observer's own directory, DATA_DIR/observers/<name>.")


class JSONLinesObserver:
    Config = JSONLinesConfig

    def __init__(self, config: JSONLinesConfig, name: str = "jsonl", home: ObserverHome | None = None) -> None:
        self.name, self.written = name, 0
        path = config.path
        if home is not None and home.directory is not None and not path.is_absolute():
            home.directory.mkdir(parents=True, exist_ok=True)
            path = home.directory / path
        self._file = path.open("a", encoding="utf-8")

    def events(self) -> tuple[type, ...]:
        return (EventJoined,)

    def handle(self, event: EventJoined) -> None:
        d = event.event.decision
        line = {"event_id": d.event_id, "action": d.action, "probability": d.probability, "reward": event.event.reward,
                "outcome": event.event.outcome}
        self._file.write(json.dumps(line) + "\n")
        self.written += 1

    def close(self) -> None:
        self._file.close()

    def stats(self) -> dict[str, Any]:
        return {"type": "jsonl", "written": self.written}
