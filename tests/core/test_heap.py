"""The daemon's settled heap: the objects of a batch of decisions in flight do not start a collection."""

from __future__ import annotations

import gc
from typing import Any

from appliance.heap import settled_heap


def test_a_batch_in_flight_starts_no_collection_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    started: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    with settled_heap():
        gc.callbacks.append(note)
        try:
            in_flight = [{"context": {"f": [i]}} for i in range(1_400)]  # ~2,800 containers, as a DecideStream batch of 100 holds
        finally:
            gc.callbacks.remove(note)
    assert len(in_flight) == 1_400
    assert started == [], f"collections of generations {started} ran while a batch's objects were alive"
    assert gc.get_threshold() == before
