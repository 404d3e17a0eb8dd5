"""Build the loop from config: the policy (by its ``type``, through the registry), the joiner and the storage
under the data directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.config import AppConfig, PolicyConfigBase
from appliance.join.joiner import Joiner
from appliance.loop import Loop, new_event_id
from appliance.policy.base import Policy
from appliance.registry import REGISTRY
from appliance.storage.checkpoints import CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.wal import WriteAheadLog


def default_data_dir() -> Path:
    """$XDG_DATA_HOME/wabbit, or ~/.local/share/wabbit."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "wabbit"


def build_policy(config: PolicyConfigBase) -> Policy:
    """The policy ``config.type`` names (``vw``, ``uniform`` or a plug-in's), built from ``config``."""
    policy: Policy = REGISTRY.build("policies", config)
    return policy


def open_loop(
    config: AppConfig, clock: Clock, data_dir: Path | None, durable: bool = True, new_id: Callable[[], str] = new_event_id,
    bus: EventBus | None = None, policy: Policy | None = None,
) -> Loop:
    """A loop whose storage lives in ``data_dir``: with ``durable`` the write-ahead log and checkpoints too. ``policy``:
    one built elsewhere over the config's actions (a benchmark's library adapter), instead of the configured one."""
    pconfig = config.effective_policy()
    policy = policy or build_policy(pconfig)  # first: a policy that cannot be built leaves no file open
    directory = data_dir or config.storage.data_dir or default_data_dir()
    storage = config.storage
    segment_bytes = int(storage.log_segment_mb * 1024 * 1024)
    events = EventLog(directory / "events", segment_bytes, storage.keep_log_segments, fsync=durable)
    raw = EventLog(directory / "events", segment_bytes, storage.keep_log_segments, fsync=durable, name="raw", suffix="jsonl") \
        if any(sink.stream == "raw" for sink in config.log_sinks) else None
    wal = WriteAheadLog(directory / "wal.sqlite", storage.group_commit_ms) if durable else None
    checkpoints = CheckpointStore(directory / "checkpoints", storage.keep_checkpoints, pconfig.type) if durable else None
    return Loop(
        policy, Joiner(config.join, clock), clock, events, pconfig.action_features(),
        wal=wal, checkpoints=checkpoints, checkpoint_every_events=storage.checkpoint_every_events,
        checkpoint_every_s=storage.checkpoint_every_s, log_sync_s=storage.log_sync_s, new_id=new_id, bus=bus,
        learning=config.learning, raw=raw,
    )
