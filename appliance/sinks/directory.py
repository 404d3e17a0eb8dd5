"""Each batch as a new file in a directory, written atomically and named by where it starts in the log: a file
reader (Spark's file source) only ever sees whole batches, and a batch sent again after a crash replaces itself.
Each file is fsynced before its rename; the directory's new entries are fsynced once per shipper step, at
``commit``, before the cursor moves past them (per batch, that fsync was half the sink's disk flushes).

>>> import tempfile, pathlib
>>> from appliance.config.log_sinks import DirectorySinkConfig
>>> inbox = pathlib.Path(tempfile.mkdtemp()) / "inbox"
>>> sink = DirectorySink(DirectorySinkConfig(path=inbox, prefix="pi1"), name="inbox")
>>> sink.send(b'{"EventId":"e1"}\\n', "joined-000001-000000000000"); sink.send(b'{"EventId":"e1"}\\n', "joined-000001-000000000000")
>>> sink.commit(); [p.name for p in inbox.iterdir()]
['pi1-joined-000001-000000000000.jsonl']
"""

from __future__ import annotations

from typing import Any

from appliance.config.log_sinks import DirectorySinkConfig
from appliance.sinks.base import SinkError, appliance_name
from appliance.storage.atomic import fsync_dir, write_atomically


class DirectorySink:
    def __init__(self, config: DirectorySinkConfig, name: str = "directory") -> None:
        self.name, self.directory = name, config.path
        self.prefix = config.prefix or appliance_name()
        self.files = 0
        self._uncommitted = False
        """Batches were renamed into place since the last commit (their entries may not be durable yet)."""

    def send(self, data: bytes, batch_id: str) -> None:
        try:
            write_atomically(self.directory / f"{self.prefix}-{batch_id}.jsonl", data, mode=0o644, sync_dir=False)
        except OSError as err:
            raise self._cannot_write(err) from None
        self.files += 1
        self._uncommitted = True

    def commit(self) -> None:
        if self._uncommitted:
            try:
                fsync_dir(self.directory)
            except OSError as err:
                raise self._cannot_write(err) from None
            self._uncommitted = False

    def _cannot_write(self, err: OSError) -> SinkError:
        return SinkError(f"{self.name}: cannot write to {self.directory} ({err.strerror}); check it exists and is writable")

    def close(self) -> None:
        """Nothing held."""

    def stats(self) -> dict[str, Any]:
        return {"type": "directory", "path": str(self.directory), "files": self.files}
