"""Atomic model checkpoints: temp file, fsync, rename; the last N kept; a corrupt one falls back loudly.

Each checkpoint is a model file and a JSON sidecar naming its model version, its sha256, the event-log
position it covers and the loop's counters. The sidecar is written last, so a checkpoint without one never
existed. Checkpoints are ordered by when they were taken, not by model version: a version swapped in now runs above
every earlier one (:func:`~appliance.models.base.version_above`), but a data directory from an older release may
hold a lower version taken later, and a restart must come back with the model that was serving. "When" is the
stamp in the file's name, the wall clock's nanoseconds but always above every stamp in the directory: a Pi without
a real-time clock boots at the time it last saved (up to an hour behind after a power cut, and it stays behind while
offline), and its new checkpoints must still be the newest, not the first pruned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from appliance.errors import CheckpointError, WabbitError
from appliance.storage.atomic import install, staged, write_atomically
from appliance.storage.log_segments import LogPosition
from appliance.storage.writable import hint

log = logging.getLogger(__name__)


class Saveable(Protocol):
    def save(self, path: Path) -> None: ...

    def load(self, path: Path, model_version: int) -> None: ...


@dataclass(frozen=True)
class CheckpointMeta:
    model_version: int
    log_segment: int
    log_offset: int
    sha256: str
    created: float
    stats: dict[str, Any] = field(default_factory=dict)
    """The loop's counters when it was taken (learned events, reward sums), restored on restart."""
    policy: str = ""
    """The ``policy.type`` that saved it ("" when unknown: a checkpoint written before kinds were recorded)."""

    @property
    def position(self) -> LogPosition:
        return LogPosition(self.log_segment, self.log_offset)


@dataclass(frozen=True)
class TakenCheckpoint:
    """A checkpoint taken (:meth:`CheckpointStore.take`) but not yet durable: its model in a temp file."""

    stem: Path
    temp: Path
    model_version: int
    position: LogPosition
    created: float
    stats: dict[str, Any]


def _stamp(path: Path) -> int:
    """The stamp in a checkpoint file's name (``model-STAMP-vVERSION``); -1 for a name that holds none.

    >>> _stamp(Path("model-01733000000000000000-v7.json")), _stamp(Path("model-x.json"))
    (1733000000000000000, -1)
    """
    try:
        return int(path.stem.split("-")[1])
    except (IndexError, ValueError):
        return -1


def _sidecars(directory: Path) -> list[Path]:
    """The sidecars in ``directory``, newest first (by the stamp each was taken with)."""
    return sorted(directory.glob("model-*.json"), key=lambda path: (_stamp(path), path.name), reverse=True)


def read_meta(meta_path: Path) -> CheckpointMeta:
    """The checkpoint sidecar at ``meta_path`` (its ``policy`` "" when it names none); OSError, ValueError or TypeError
    when it cannot be read or is not a sidecar."""
    return CheckpointMeta(**json.loads(meta_path.read_text()))


def read_checkpoints(directory: Path) -> list[tuple[CheckpointMeta, Path]]:
    """Every checkpoint in ``directory`` whose sidecar reads, of any policy kind, newest first (by the time each was
    taken), with its model file (not verified here); none when there is no such directory."""
    found = []
    for meta_path in _sidecars(directory):
        try:
            found.append((read_meta(meta_path), meta_path.with_suffix(".vw")))
        except (OSError, ValueError, TypeError):
            continue
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CheckpointStore:
    def __init__(self, directory: Path, keep: int, policy: str = "") -> None:
        """``policy``: the ``policy.type`` whose checkpoints these are; :meth:`load_latest` passes over another kind's
        (left by a config that switched kinds) without calling them corrupt. "" loads any."""
        self.directory = directory
        self._keep = keep
        self._policy = policy
        self.corrupt = 0
        self.refused = 0
        """Intact checkpoints (their SHA-256 matches) that the configured policy would not load: the policy section
        changed since they were taken (other VW options, other actions)."""
        directory.mkdir(parents=True, exist_ok=True)

    def save(self, model: Saveable, model_version: int, position: LogPosition, stats: dict[str, Any] | None = None) -> CheckpointMeta:
        return self.commit(self.take(model, model_version, position, stats))

    def take(self, model: Saveable, model_version: int, position: LogPosition, stats: dict[str, Any] | None = None) -> TakenCheckpoint:
        """The first step of :meth:`save`, under the loop's lock: the model as it is now into a temp file (not yet
        fsynced); :meth:`commit` makes it a checkpoint outside that lock. One checkpoint at a time: a save between
        the two would remove the temp file as a crash's leftover."""
        stamp = max(time.time_ns(), max((_stamp(path) for path in self.directory.glob("model-*")), default=-1) + 1000)
        stem = f"model-{stamp:020d}-v{model_version}"
        try:
            temp = staged(self.directory / f"{stem}.vw")
            try:
                model.save(temp)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        except OSError as err:
            raise self._failed(err) from None
        return TakenCheckpoint(self.directory / stem, temp, model_version, position, stamp / 1e9, stats or {})

    def commit(self, taken: TakenCheckpoint) -> CheckpointMeta:
        """Make ``taken`` durable: fsync its model file and rename it into place, then write the sidecar (last: a
        checkpoint without one never existed); prune the oldest."""
        try:
            try:
                meta = CheckpointMeta(taken.model_version, taken.position.segment, taken.position.offset, file_sha256(taken.temp),
                                      taken.created, taken.stats, self._policy)
            except BaseException:
                taken.temp.unlink(missing_ok=True)
                raise
            install(taken.temp, taken.stem.with_suffix(".vw"))
            try:
                write_atomically(taken.stem.with_suffix(".json"), json.dumps(asdict(meta)).encode())
            except BaseException:  # no checkpoint without its sidecar: its model file would only take room, for good
                taken.stem.with_suffix(".vw").unlink(missing_ok=True)
                raise
        except OSError as err:
            raise self._failed(err) from None
        self._prune()
        return meta

    def _failed(self, err: OSError) -> CheckpointError:
        return CheckpointError(f"{self.directory}: cannot write a checkpoint ({err.strerror}); {hint(err)}")

    def _prune(self) -> None:
        for meta_path in _sidecars(self.directory)[self._keep:]:
            meta_path.with_suffix(".vw").unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
        for stale in self.directory.glob(".model-*.tmp"):  # left by a crash in the middle of a save
            stale.unlink(missing_ok=True)

    def _other_kind(self, meta: CheckpointMeta) -> bool:
        return bool(meta.policy and self._policy and meta.policy != self._policy)

    def entries(self) -> list[tuple[CheckpointMeta, Path]]:
        """Every checkpoint of this policy kind whose sidecar reads, newest first, with its model file (not verified
        here): the versions a rollback can load."""
        return [(meta, path) for meta, path in read_checkpoints(self.directory) if not self._other_kind(meta)]

    def saved_by_other_kind(self, model_version: int) -> str | None:
        """The ``policy.type`` that saved a kept checkpoint of ``model_version`` when that is another kind than this
        store's (a config switched kinds since), else None: why a rollback to it is refused."""
        return next((meta.policy for meta, _ in read_checkpoints(self.directory) if meta.model_version == model_version and self._other_kind(meta)),
                    None)

    def load_latest(self, model: Saveable) -> CheckpointMeta | None:
        """Load the newest checkpoint of this policy kind that verifies and that the policy loads. One that does not
        verify is logged as an error (corrupt) and skipped; an intact one the policy refuses, as a warning (refused)."""
        for meta_path in _sidecars(self.directory):
            model_path = meta_path.with_suffix(".vw")
            try:
                meta = read_meta(meta_path)
                if self._other_kind(meta):
                    log.info("checkpoint %s was saved by the %s policy and policy.type is now %s: not loaded (an older "
                             "one of this kind, or the event log, rebuilds the model)", model_path, meta.policy, self._policy)
                    continue
                if file_sha256(model_path) != meta.sha256:
                    raise CheckpointError("its sha256 does not match (torn or altered file)")
            except (OSError, ValueError, TypeError, WabbitError) as err:
                self.corrupt += 1
                log.error("checkpoint %s is corrupt and was skipped: %s; falling back to the previous one", model_path, err)
                continue
            try:
                model.load(model_path, meta.model_version)
                return meta
            except (OSError, ValueError, TypeError, WabbitError, RuntimeError) as err:
                self.refused += 1
                if not meta.policy and self._policy not in ("", "vw"):  # only VW's were taken before kinds were recorded
                    log.warning("checkpoint %s records no policy kind (an older version took it, when only the vw policy "
                                "saved checkpoints) and the configured %s policy cannot load it: %s; falling back to the "
                                "previous one", model_path, self._policy, err)
                else:
                    log.warning("checkpoint %s is intact but the configured policy cannot load it (did the policy section "
                                "change since it was taken?): %s; falling back to the previous one", model_path, err)
        return None
