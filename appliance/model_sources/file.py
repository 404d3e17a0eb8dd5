"""A model file that another process replaces from time to time (a shared directory, a synced folder).

A new model is taken once the file's size and modification time are the same at two looks in a row, so a
file still being written is never read half-way.

>>> import tempfile, pathlib
>>> from appliance.config.model_source import FileModelSourceConfig
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.vw"
>>> source = FileModelSource(FileModelSourceConfig(path=path), name="shared")
>>> source.fetch() is None  # no file yet
True
>>> _ = path.write_bytes(b"a model")
>>> source.fetch() is None, source.fetch().data  # seen once, then the same again: taken
(True, b'a model')
>>> source.fetch() is None  # nothing new since
True
"""

from __future__ import annotations

import os
from typing import Any

from appliance.config.model_source import FileModelSourceConfig
from appliance.model_sources.base import ModelSourceError, ModelUpdate


class FileModelSource:
    def __init__(self, config: FileModelSourceConfig, name: str = "file") -> None:
        self.name, self.path = name, config.path
        self._seen: tuple[int, int] | None = None  # (size, mtime_ns) at the last look
        self._taken: tuple[int, int] | None = None

    def fetch(self) -> ModelUpdate | None:
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._seen = None
            return None
        except OSError as err:
            raise ModelSourceError(f"{self.path}: cannot look at the model file ({err.strerror}); check the path and its permissions") from None
        now = (stat.st_size, stat.st_mtime_ns)
        settled, self._seen = now == self._seen, now
        if not settled or now == self._taken:
            return None
        try:
            data = self.path.read_bytes()
        except OSError as err:
            raise ModelSourceError(f"{self.path}: cannot read the model file ({err.strerror})") from None
        self._taken = now
        return ModelUpdate(data, str(self.path))  # the install's log line adds its size

    def close(self) -> None:
        """Nothing held."""

    def stats(self) -> dict[str, Any]:
        return {"type": "file", "path": str(self.path), "present": self._seen is not None}
