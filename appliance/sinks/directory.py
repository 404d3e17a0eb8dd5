"""Each batch as a new file in a directory, written atomically and named by where it starts in the log: a file
reader (Spark's file source) only ever sees whole batches, and a batch sent again after a crash replaces itself.

>>> import tempfile, pathlib
>>> from appliance.config.log_sinks import DirectorySinkConfig
>>> inbox = pathlib.Path(tempfile.mkdtemp()) / "inbox"
>>> sink = DirectorySink(DirectorySinkConfig(path=inbox, prefix="pi1"), name="inbox")
>>> sink.send(b'{"EventId":"e1"}\\n', "joined-000001-000000000000"); sink.send(b'{"EventId":"e1"}\\n', "joined-000001-000000000000")
>>> [p.name for p in inbox.iterdir()]
['pi1-joined-000001-000000000000.jsonl']
"""

from __future__ import annotations

import socket
from typing import Any

from appliance.config.log_sinks import DirectorySinkConfig
from appliance.sinks.base import SinkError
from appliance.storage.atomic import write_atomically


class DirectorySink:
    def __init__(self, config: DirectorySinkConfig, name: str = "directory") -> None:
        self.name, self.directory = name, config.path
        self.prefix = config.prefix or socket.gethostname()
        self.files = 0

    def send(self, data: bytes, batch_id: str) -> None:
        try:
            write_atomically(self.directory / f"{self.prefix}-{batch_id}.jsonl", data, mode=0o644)
        except OSError as err:
            raise SinkError(f"{self.name}: cannot write to {self.directory} ({err.strerror}); check it exists and is writable") from None
        self.files += 1

    def close(self) -> None:
        """Nothing held."""

    def stats(self) -> dict[str, Any]:
        return {"type": "directory", "path": str(self.directory), "files": self.files}
