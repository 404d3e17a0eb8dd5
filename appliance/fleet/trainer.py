"""The central VW trainer: learns the joined DSJSON batches in order and publishes models the appliances pull.

Each published model is first a checkpoint named by the last batch it learned (``checkpoint-000000000042.vw``),
then copied atomically to ``current.vw`` (what the collector serves and a file model source watches); it is
published as version batch + 1 (:func:`published_version`, the collector's ``X-Model-Version``). A restart
loads the newest checkpoint and goes on after its batch: a batch is learned once, whatever was killed when.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any, Callable

from appliance.errors import UsageError
from appliance.fleet.files import joined_files
from appliance.policy.base import Policy
from appliance.storage import dsjson
from appliance.storage.atomic import replacing

log = logging.getLogger(__name__)
KEEP = 2


def published_version(models: Path, data: bytes) -> int | None:
    """The version the model ``data`` (``current.vw`` as read) is published as: its checkpoint's batch + 1, the version
    a restarted trainer runs it as, so it goes up with every model published; ``None`` when no checkpoint kept holds
    those bytes (two more were published since it was read).

    >>> import tempfile
    >>> models = Path(tempfile.mkdtemp())
    >>> _ = (models / "checkpoint-000000000041.vw").write_bytes(b"model")
    >>> published_version(models, b"model"), published_version(models, b"another")
    (42, None)
    """
    for checkpoint in sorted(models.glob("checkpoint-*.vw"), reverse=True):
        try:
            if checkpoint.stat().st_size == len(data) and checkpoint.read_bytes() == data:
                return int(checkpoint.stem.split("-")[1]) + 1
        except (FileNotFoundError, ValueError):  # pruned since it was listed; not a name the trainer writes
            continue
    return None


class CentralTrainer:
    def __init__(self, policy: Policy, joined: Path, models: Path, publish_every_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.policy, self.joined, self.models, self.every = policy, joined, models, publish_every_s
        self.clock = clock
        models.mkdir(parents=True, exist_ok=True)
        self.batch = -1
        self.learned = self.published = self.malformed = self.refused = 0
        self.reward_sum = 0.0
        self._last_publish = clock()
        checkpoints = sorted(models.glob("checkpoint-*.vw"))
        if checkpoints:
            newest = checkpoints[-1]
            self.batch = int(newest.stem.split("-")[1])
            policy.load(newest, self.batch + 1)
        self._dirty = False

    @property
    def current(self) -> Path:
        return self.models / "current.vw"

    def step(self) -> int:
        """Learn the batches not learned yet; publish if it is time. Returns how many events were learned."""
        n = 0
        for batch, path in joined_files(self.joined, self.batch):
            refused = self.refused
            for line in path.read_bytes().splitlines():
                try:
                    event, _ = dsjson.decode(line)
                except ValueError:
                    self.malformed += 1
                    continue
                try:
                    self.policy.learn(event)
                except UsageError as err:  # an appliance offering other actions: no features to learn them with
                    if refused == self.refused:  # one warning a batch
                        log.warning("fleet trainer: %s in %s: left out (counted in refused); give `wabbit fleet --config` "
                                    "the appliances' own config, whose policy declares every action they offer", err, path)
                    self.refused += 1
                    continue
                self.reward_sum += event.reward
                n += 1
            self.batch = batch
            self._dirty = True
        self.learned += n
        if self._dirty and self.clock() - self._last_publish >= self.every:
            self.publish()
        return n

    def publish(self) -> None:
        """Checkpoint what was learned (named by its last batch) and make it the current model."""
        checkpoint = self.models / f"checkpoint-{self.batch:012d}.vw"
        with replacing(checkpoint, mode=0o644) as temp:
            self.policy.save(temp)
        with replacing(self.current, mode=0o644) as temp:  # the copy fsynced too, before it becomes the current model
            shutil.copyfile(checkpoint, temp)
        for old in sorted(self.models.glob("checkpoint-*.vw"))[:-KEEP]:
            old.unlink()
        self.published += 1
        self._dirty = False
        self._last_publish = self.clock()
        log.info("fleet trainer: published the model after batch %d (%d events learned)", self.batch, self.learned)

    def stats(self) -> dict[str, Any]:
        return {"learned": self.learned, "batch": self.batch, "published": self.published, "malformed": self.malformed,
                "refused": self.refused,
                "mean_reward": self.reward_sum / self.learned if self.learned else None}
