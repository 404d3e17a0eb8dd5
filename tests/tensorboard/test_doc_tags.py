"""docs/tensorboard.md's table of tags names every scalar the observer writes, so a user looking for one in
TensorBoard finds what it means."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from appliance.config.tensorboard import TensorBoardObserverConfig
from appliance.events import DecisionMade, EventJoined
from appliance.observers.base import ObserverHome
from appliance.observers.tensorboard import TensorBoardObserver
from appliance.policy import JoinedEvent, UniformPolicy

DOC = Path(__file__).parents[2] / "docs" / "tensorboard.md"


def documented_tags() -> list[re.Pattern[str]]:
    """The tags of the doc's table (its rows' first cells): ``<action>`` stands for any name, ``..._max`` for the
    previous tag with ``_max``."""
    table = DOC.read_text().split("| tags | what |", 1)[1].split("\n\n", 1)[0]
    patterns, previous = [], ""
    for row in table.splitlines()[2:]:
        for tag in re.findall(r"`([^`]+)`", row.split(" | ")[0]):
            tag = previous + tag[3:] if tag.startswith("...") else tag
            patterns.append(re.compile(re.sub(r"<[^>]+>", "[^/]+", re.escape(tag).replace(r"\<", "<").replace(r"\>", ">"))))
            previous = tag
    return patterns


def test_every_scalar_the_observer_writes_is_in_the_docs_table(tmp_path: Path) -> None:
    policy = UniformPolicy.of(["on", "off"])
    config = TensorBoardObserverConfig(logdir=tmp_path, run="tags", every_events=2, min_interval_s=0, latency=True, format="jsonl")
    observer = TensorBoardObserver(config, home=ObserverHome(policy=policy))
    for i in range(6):
        decision = policy.decide({"room": {"dark": 1.0}}, f"e{i}", time.time())
        observer.handle(DecisionMade(decision))
        observer.handle(EventJoined(JoinedEvent(decision, float(i % 2), "on_time" if i % 3 else "default", 1, 0.0)))
    observer.close()
    lines = [json.loads(line) for line in (tmp_path / "tags" / "scalars.jsonl").read_text().splitlines()]
    written = {tag for line in lines for tag in line.get("scalars", {})}
    assert {"reward/progressive", "actions/on", "latency/decision_ms_max"} <= written
    patterns = documented_tags()
    assert sorted(t for t in written if not any(p.fullmatch(t) for p in patterns)) == [], f"tags missing from {DOC}"
