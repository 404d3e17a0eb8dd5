"""The join's evaluation counts a decision joined twice as a mismatch: the joined set is compared with the
reference as a list of emissions, not as a dict that would keep one of the two."""

from __future__ import annotations

from pathlib import Path

from appliance.fleet.contenders import DurableJoin
from appliance.fleet.evaluate import evaluate
from appliance.fleet.records import DecisionIn, Joined, Record
from appliance.fleet.streams import SCENARIOS, generated_stream


class TwiceJoin:
    """The durable join, with every decision it closes emitted again at the next tick (a join that forgot it)."""

    name = "twice"

    def __init__(self, path: Path) -> None:
        self._join = DurableJoin(SCENARIOS["seconds"], path)
        self._again: list[Joined] = []

    def feed(self, records: list[Record], now: float) -> None:
        self._join.feed(records, now)

    def tick(self, now: float) -> list[Joined]:
        new = self._join.tick(now)
        out, self._again = self._again + new, new
        return out

    def state(self) -> tuple[int, int]:
        return self._join.state()

    def close(self) -> None:
        self._join.close()


def test_a_decision_joined_twice_is_a_mismatch(tmp_path: Path) -> None:
    stream = generated_stream(SCENARIOS["seconds"], 200, seed=2)
    assert evaluate(DurableJoin(stream.scenario, tmp_path / "once.db"), stream).mismatches == 0
    run = evaluate(TwiceJoin(tmp_path / "twice.db"), stream)
    decisions = sum(isinstance(r, DecisionIn) for r in stream.records)
    assert run.joined > decisions and run.mismatches == run.joined - decisions and not run.correct
