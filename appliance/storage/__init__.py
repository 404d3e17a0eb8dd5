"""What the appliance keeps on disk: the write-ahead log, the DSJSON event log, model checkpoints, and the one
atomic-write helper everything that replaces a whole file uses.

Importing this package stays light: a log sink's child process needs only the event log's modules, not the
write-ahead log (SQLite, the joiner) or the checkpoints, so the names below load from their modules on first use.
"""

from typing import TYPE_CHECKING

from appliance.lazy import lazy_attributes

if TYPE_CHECKING:
    from appliance.storage.atomic import fsync_dir, replacing, write_atomically
    from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
    from appliance.storage.eventlog import EventLog
    from appliance.storage.log_segments import LogPosition
    from appliance.storage.wal import WriteAheadLog
    from appliance.storage.wal_tickets import DONE, Ticket

_LAZY = {
    "fsync_dir": "atomic", "replacing": "atomic", "write_atomically": "atomic", "CheckpointMeta": "checkpoints",
    "CheckpointStore": "checkpoints", "EventLog": "eventlog", "LogPosition": "log_segments", "WriteAheadLog": "wal",
    "DONE": "wal_tickets", "Ticket": "wal_tickets",
}

__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "DONE", "CheckpointMeta", "CheckpointStore", "EventLog", "LogPosition", "Ticket", "WriteAheadLog", "fsync_dir",
    "replacing", "write_atomically",
]
