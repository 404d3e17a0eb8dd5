"""The ``storage:`` section: write-ahead log, event log and checkpoints under the data directory."""

from pathlib import Path

from pydantic import Field

from appliance.config.base import StrictModel


class StorageConfig(StrictModel):
    data_dir: Path | None = Field(
        None, description="Where the write-ahead log, DSJSON logs, checkpoints and the token live. "
        "Empty: `--data-dir`, else $XDG_DATA_HOME/wabbit (~/.local/share/wabbit).",
    )
    group_commit_ms: float = Field(
        0.0, ge=0.0, le=1000.0,
        description="Extra time a write waits for others to share its fsync. 0: none; writes that arrive while a "
        "commit is under way still share the next one (measured faster than a fixed window: `wabbit bench --only wal.*`).",
    )
    log_sync_s: float = Field(
        1.0, ge=0.0, le=60.0,
        description="Seconds between syncs of the event log (fsynced when durable); joined events leave the "
        "write-ahead log only once synced, so a crash loses nothing and relearns at most this much. 0: every tick. "
        "Fewer syncs spare an SD card.",
    )
    checkpoint_every_s: float = Field(300.0, ge=1.0, le=86400.0, description="Seconds between model checkpoints.")
    checkpoint_every_events: int = Field(
        5000, ge=1, le=10_000_000, description="Learned events between model checkpoints (whichever comes first).",
    )
    keep_checkpoints: int = Field(3, ge=1, le=100, description="How many checkpoints to keep; older ones are deleted.")
    log_segment_mb: float = Field(
        64.0, ge=0.01, le=4096.0,
        description="Size at which the joined-event DSJSON log (and the raw log a `stream: raw` sink ships) starts a new segment file, "
        "and late.jsonl a new file (the full one kept as late.jsonl.1, the one before it deleted).",
    )
    keep_log_segments: int = Field(
        20, ge=1, le=100_000,
        description="Most segments kept of each log (the DSJSON events, the raw decisions and rewards), pruned at each checkpoint; "
        "segments still needed after the last checkpoint, or not yet shipped by a block-mode sink, are never deleted.",
    )
