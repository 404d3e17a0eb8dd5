"""Under ``join.late_reward: learn`` a late reward is learned as a new example of a decision joined before: the
status's counts (events learned, the reward average beside uniform random's) count the decision once, live and
after a restart that relearns the log."""

from __future__ import annotations

from pathlib import Path

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from tests.core.test_durability import abandon, fill

LATE_LEARN = AppConfig.model_validate({"join": {"reward_wait_s": 1, "aggregation": "sum", "late_reward": "learn"}})


def counts(stats: dict[str, object]) -> tuple[object, object]:
    return stats["learned"], stats["reward_avg"]


def test_a_late_reward_learned_does_not_count_its_event_again(tmp_path: Path, clock: FakeClock) -> None:
    loop = open_loop(LATE_LEARN, clock, tmp_path)
    fill(loop, clock, 10)  # e1, e3, ... rewarded 1.0; each joined as its wait ends
    clock.advance(2)
    loop.tick()
    before = counts(loop.stats())
    assert before == (10, 0.5)
    for event_id in ("e0", "e1", "e1"):
        assert loop.reward(event_id, 1.0)[0].status == "late"
    loop.tick()  # learned: three new examples of decisions counted already
    assert loop.stats()["join"]["late_learned"] == 3 and loop.policy.model_version == 13
    assert counts(loop.stats()) == before
    abandon(loop)  # no checkpoint since the first: a restart relearns the late lines from the log
    again = open_loop(LATE_LEARN, clock, tmp_path)
    assert again.recover()["relearned_late"] == 3
    assert counts(again.stats()) == before
    again.close()
