"""The central trainer publishes each model atomically and durably: a checkpoint named by its last batch, then a
copy as ``current.vw``, each written through the storage layer's one atomic writer (no temp file left over); a
restart goes on after the newest checkpoint's batch."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.fleet.files import joined_name
from appliance.fleet.trainer import KEEP, CentralTrainer
from appliance.policy.base import Decision, JoinedEvent
from appliance.policy.fake import UniformPolicy
from appliance.storage import dsjson


def write_batch(joined: Path, batch: int, rewards: list[float]) -> None:
    lines = []
    for i, reward in enumerate(rewards):
        decision = Decision(f"b{batch}-{i}", "on", 0, 0.5, (0.5, 0.5), ("on", "off"), {}, i, 0.0)
        lines.append(dsjson.encode(JoinedEvent(decision, reward, "rewarded", 1, 1.0), [{}, {}]))
    (joined / joined_name(batch)).write_bytes(b"\n".join(lines) + b"\n")


def test_each_batch_is_published_atomically_and_a_restart_goes_on_after_it(tmp_path: Path) -> None:
    joined, models = tmp_path / "joined", tmp_path / "models"
    joined.mkdir()
    trainer = CentralTrainer(UniformPolicy.of(["on", "off"]), joined, models, publish_every_s=0.0)
    for batch in range(4):
        write_batch(joined, batch, [1.0, 0.0, 1.0])
        assert trainer.step() == 3
        newest = models / f"checkpoint-{batch:012d}.vw"
        assert trainer.current.read_bytes() == newest.read_bytes()
    assert trainer.published == 4 and trainer.learned == 12
    assert KEEP == 2 and sorted(p.name for p in models.iterdir()) == ["checkpoint-000000000002.vw", "checkpoint-000000000003.vw", "current.vw"]
    assert oct(trainer.current.stat().st_mode & 0o777) == "0o644"  # readable by whatever serves or watches it
    restarted = CentralTrainer(UniformPolicy.of(["on", "off"]), joined, models, publish_every_s=0.0)
    assert restarted.batch == 3 and restarted.step() == 0


def test_an_event_offering_actions_the_policy_does_not_declare_is_counted_not_fatal(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An appliance configured with another set of actions: its events are left out and counted, with a warning
    saying what to do, and the trainer goes on learning (and publishing) the others."""
    from appliance.assemble import build_policy
    from appliance.config import AppConfig

    joined, models = tmp_path / "joined", tmp_path / "models"
    joined.mkdir()
    config = AppConfig()
    known = tuple(a.id for a in config.effective_policy().actions)  # type: ignore[union-attr]
    lines = []
    for i, actions in enumerate((known, ("zzz", "yyy"), known)):
        decision = Decision(f"e{i}", actions[0], 0, 0.5, (0.5,) + (0.5 / (len(actions) - 1),) * (len(actions) - 1), actions,
                            {"u": {"x": 1.0}}, 0, 0.0)
        lines.append(dsjson.encode(JoinedEvent(decision, 1.0, "on_time", 1, 1.0), [{}] * len(actions)))
    (joined / joined_name(0)).write_bytes(b"".join(lines))
    trainer = CentralTrainer(build_policy(config.effective_policy()), joined, models, publish_every_s=0.0)
    with caplog.at_level(logging.WARNING):
        assert trainer.step() == 2
    assert trainer.stats()["refused"] == 1 and trainer.published == 1 and trainer.batch == 0
    assert "e1" in caplog.text and "policy" in caplog.text
