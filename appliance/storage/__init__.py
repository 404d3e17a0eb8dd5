"""What the appliance keeps on disk: the write-ahead log, the DSJSON event log, model checkpoints, and the one
atomic-write helper everything that replaces a whole file uses."""

from appliance.storage.atomic import fsync_dir, replacing, write_atomically
from appliance.storage.checkpoints import CheckpointMeta, CheckpointStore
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from appliance.storage.wal import WriteAheadLog
from appliance.storage.wal_tickets import DONE, Ticket

__all__ = [
    "DONE", "CheckpointMeta", "CheckpointStore", "EventLog", "LogPosition", "Ticket", "WriteAheadLog", "fsync_dir",
    "replacing", "write_atomically",
]
