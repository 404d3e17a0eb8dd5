"""Build the loop from config: the policy, the joiner and the storage under the data directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from appliance.clock import Clock
from appliance.config import AppConfig, PolicyConfig
from appliance.join.joiner import Joiner
from appliance.loop import Loop, new_event_id
from appliance.storage.checkpoints import CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.wal import WriteAheadLog
from appliance.worlds import World, build_world


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/wabbit, or ~/.local/share/wabbit."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wabbit"


def policy_config(config: AppConfig, world: World) -> PolicyConfig:
    """The configured policy, or the simulated world's actions with the default exploration."""
    if config.policy is not None:
        return config.policy
    return PolicyConfig.model_validate({"actions": world.actions, "seed": config.simulation.seed, **world.policy_hints})


def open_loop(
    config: AppConfig, clock: Clock, data_dir: Path | None, durable: bool = True,
    context_namespaces: list[str] | None = None, new_id: Callable[[], str] = new_event_id,
) -> Loop:
    """A loop whose storage lives in ``data_dir``: with ``durable`` the write-ahead log and checkpoints too."""
    from appliance.policy.vw import VWPolicy  # vowpalwabbit loads here, not at import time

    world = build_world(config.simulation)
    pconfig = policy_config(config, world)
    namespaces = context_namespaces if context_namespaces is not None else world.context_namespaces
    policy = VWPolicy(pconfig, namespaces)
    directory = data_dir or config.storage.data_dir or default_data_dir()
    storage = config.storage
    events = EventLog(directory / "events", int(storage.log_segment_mb * 1024 * 1024), storage.keep_log_segments, fsync=durable)
    wal = WriteAheadLog(directory / "wal.sqlite", storage.group_commit_ms) if durable else None
    checkpoints = CheckpointStore(directory / "checkpoints", storage.keep_checkpoints) if durable else None
    return Loop(
        policy, Joiner(config.join, clock), clock, events, {a.id: a.vw_features() for a in pconfig.actions},
        wal=wal, checkpoints=checkpoints, checkpoint_every_events=storage.checkpoint_every_events,
        checkpoint_every_s=storage.checkpoint_every_s, log_sync_s=storage.log_sync_s, new_id=new_id,
    )
