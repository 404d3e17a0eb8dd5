"""The ``ModelSource`` role and the worker that installs what the sources bring.

A source is asked every ``interval_s`` for a model newer than the last one it gave (:meth:`ModelSource.fetch`).
The :class:`ModelUpdater` writes it to the data directory, checks it in a child process as an upload is
checked (it loads with the policy's options, decides over the declared actions, decides the same after a save
and load), and swaps it in atomically, checkpointed at once, as a new version above every version the model has
had (the version the source publishes when it says one above them, else the next); a model that fails the check is
refused and counted, and the loop keeps the one it had. ``last_error`` is the failure since the last install, if any.

A source knows what it gave only while the daemon runs: after a restart its first look brings what it publishes
now (the file as it is, a URL without its ETag, the retained message). The SHA-256 of the last model installed is
kept in ``DATA_DIR/model_source.json``, so that first model, when it is that one, is not installed again over what
the loop learned since (``unchanged`` counts it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, runtime_checkable

from appliance.errors import UsageError, WabbitError
from appliance.storage.atomic import write_atomically

log = logging.getLogger(__name__)
REMEMBERED = "model_source.json"
"""In the data directory: the SHA-256 (and origin) of the model the model source installed last."""


class ModelSourceError(WabbitError, RuntimeError):
    """A model source could not be reached or read; the message names it and what to check."""


@dataclass(frozen=True)
class ModelUpdate:
    """A model a source brought: its bytes, where it came from (a path, a URL with its ETag, a topic), and the version
    the source says it publishes (an HTTP server's ``X-Model-Version``), if it says one."""

    data: bytes
    origin: str
    version: int | None = None


@runtime_checkable
class ModelSource(Protocol):
    """Brings new models; built as ``Kind(config, name=...)``."""

    name: str

    def fetch(self) -> ModelUpdate | None:
        """A model newer than the last one returned, or ``None``; raises :class:`ModelSourceError` when it cannot look."""
        ...

    def close(self) -> None:
        """Release connections; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able: what it looked at last, its own counters."""
        ...


class ModelUpdater:
    """The ``model-source`` worker's step: fetch, check, install. ``check(path)`` raises :class:`UsageError` for
    a model the policy cannot use; ``install(path, published)`` swaps it in as a new version (``published``: the
    version the source says it publishes, or ``None``). The last install's SHA-256 is kept in ``directory``."""

    def __init__(self, source: ModelSource, directory: Path, check: Callable[[Path], None],
                 install: Callable[[Path, int | None], object]) -> None:
        self.source, self._directory, self._check, self._install = source, directory, check, install
        self.looks = self.installed = self.refused = self.errors = self.unchanged = 0
        self.last_error: str | None = None
        self.last_installed: dict[str, Any] | None = None
        self._remembered = directory / REMEMBERED
        self._before_start: str | None = self._recall()
        """The SHA-256 installed last before this start, until the source's first model has been compared with it."""

    def step(self) -> None:
        self.looks += 1
        try:
            update = self.source.fetch()
        except ModelSourceError as err:
            self.errors += 1
            self._note(str(err))
            return
        if update is None:
            return
        digest = hashlib.sha256(update.data).hexdigest()
        before_start, self._before_start = self._before_start, None
        if digest == before_start:
            self.unchanged += 1
            log.info("model source %s: %s is the model installed before the restart; the running one stays", self.source.name, update.origin)
            return
        with tempfile.TemporaryDirectory(prefix="model-source-", dir=self._directory) as temp:
            path = Path(temp) / "model.vw"
            path.write_bytes(update.data)
            try:
                self._check(path)
            except UsageError as err:
                self.refused += 1
                self._note(f"{update.origin}: refused, the running model stays ({err})")
                return
            self._install(path, update.version)
        write_atomically(self._remembered, json.dumps({"sha256": digest, "origin": update.origin}).encode())
        self.installed += 1
        self.last_error = None  # a failure before this install is history; `errors` and `refused` still count it
        self.last_installed = {"origin": update.origin, "bytes": len(update.data), "at": time.time()}
        log.info("model source %s: installed %s (%d bytes)", self.source.name, update.origin, len(update.data))

    def _recall(self) -> str | None:
        try:
            remembered = json.loads(self._remembered.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:  # unreadable: the next model the source brings is installed, as before
            log.warning("model source %s: cannot read %s (%s); its next model is installed", self.source.name, self._remembered, err)
            return None
        sha256 = remembered.get("sha256") if isinstance(remembered, dict) else None
        return sha256 if isinstance(sha256, str) else None

    def _note(self, problem: str) -> None:
        self.last_error = problem
        if self.refused + self.errors <= 10 or (self.refused + self.errors) % 100 == 0:
            log.warning("model source %s: %s", self.source.name, problem)

    def stats(self) -> dict[str, Any]:
        return {"name": self.source.name, **self.source.stats(), "looks": self.looks, "installed": self.installed,
                "unchanged": self.unchanged, "refused": self.refused, "errors": self.errors, "last_error": self.last_error,
                "last_installed": self.last_installed}
