"""The central side in one process (``wabbit fleet``): the collector, the join (SQLite or Spark), the trainer.

Its directory holds ``token`` (the collector's bearer token, made at first start), ``inbox/`` (raw batches: the
collector's, or a shared folder the appliances' directory sinks write; the SQLite join moves those it has taken
in to ``inbox/taken/``), ``state/`` (the join's), ``joined/``
(DSJSON batches) and ``models/`` (checkpoints and ``current.vw``). Appliances ship with a log sink of ``stream:
raw`` (``http`` to ``/ingest`` with ``token_file``, or ``directory`` to the inbox) and pull with a model source
(``http`` from ``/model`` with an ``Authorization: Bearer`` header, or ``file`` on ``models/current.vw``).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import Field

from appliance.config import AppConfig
from appliance.config.base import StrictModel
from appliance.errors import StorageError
from appliance.fleet.collector import Collector
from appliance.fleet.trainer import CentralTrainer
from appliance.server.access_token import load_or_create_token

log = logging.getLogger(__name__)


class FleetSettings(StrictModel):
    directory: Path = Field(description="Where the central side keeps inbox/, state/, joined/ and models/.")
    engine: Literal["sqlite", "spark"] = Field("sqlite", description="The join: the durable SQLite joiner (one process) or "
                                               "Spark Structured Streaming (local mode; the `fleet` extra and a JDK).")
    host: str = Field("127.0.0.1", description="The collector's address.")
    port: int = Field(8090, ge=0, le=65535, description="The collector's port (0: any free one).")
    grace_s: float = Field(5.0, gt=0.0, le=30 * 86400.0, description="How late a record may arrive (shipping lag): the "
                           "watermark's delay; a decision closes this long after its wait and its arrival, and after a start nothing "
                           "closes for this long (the appliances' backlog comes in first).")
    idle_timeout_s: float = Field(600.0, gt=0.0, le=30 * 86400.0, description="SQLite join: an appliance's decisions wait "
                                  "for its own log to pass the end of their wait (so a restart of it loses nothing); once it "
                                  "has shipped nothing for this long, they close by the clock (counted as closed_idle, logged). "
                                  "Above the longest time an appliance may be down and still lose nothing.")
    publish_every_s: float = Field(5.0, gt=0.0, le=86400.0, description="Least seconds between two published models.")
    step_s: float = Field(0.5, gt=0.0, le=60.0, description="Seconds between two steps of the join and the trainer.")
    heartbeat_s: float = Field(2.0, gt=0.0, le=3600.0, description="Spark: seconds between heartbeats that move the watermark.")


class Engine(Protocol):
    emitted: int

    def step(self) -> int: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class Central:
    def __init__(self, settings: FleetSettings, appliance: AppConfig, spark: Any = None) -> None:
        """``spark``: a SparkSession to run the Spark join in (default: one of its own, stopped on close)."""
        from appliance.assemble import build_policy

        self.settings = settings
        root = settings.directory
        pconfig = appliance.effective_policy()
        features = pconfig.action_features() if hasattr(pconfig, "action_features") else {}
        inbox, state, joined = root / "inbox", root / "state", root / "joined"
        for directory in (inbox, state, joined, root / "models"):
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StorageError(f"{directory}: cannot make the directory ({err.strerror}); --dir must be a directory "
                                   "this user can write, or a path where one can be made") from None
        engine: Engine
        if settings.engine == "spark":
            from appliance.fleet.engine_spark import SparkEngine

            engine = SparkEngine(inbox, state, joined, appliance.join, settings.grace_s, features, settings.heartbeat_s,
                                 spark=spark)
        else:
            from appliance.fleet.engine_sqlite import SqliteEngine

            engine = SqliteEngine(inbox, state, joined, appliance.join, settings.grace_s, features,
                                  idle_timeout_s=settings.idle_timeout_s)
        self.engine = engine
        self.trainer = CentralTrainer(build_policy(pconfig), joined, root / "models", settings.publish_every_s)
        self._stats: dict[str, Any] = {}
        token, created = load_or_create_token(root)
        if created:
            log.info("the collector's token is new, in %s: give it to the appliances' http log sinks (token_file)", root / "token")
        try:
            self.collector = Collector(inbox, self.trainer.current, settings.host, settings.port, self.stats, token,
                                       root / "token").start()
        except Exception:
            engine.close()  # its database (or Spark session) is not left open behind the error
            raise
        self.stop = threading.Event()
        self._refresh()

    def _refresh(self) -> None:
        """The counters, taken on the stepping thread (the join's database belongs to it)."""
        self._stats = {"join": self.engine.stats(), "trainer": self.trainer.stats()}

    def stats(self) -> dict[str, Any]:
        return {**self._stats, "collector": self.collector.stats()}

    def run(self) -> None:
        """Step the join and the trainer until :attr:`stop` is set; then close everything."""
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                self.engine.step()
                self.trainer.step()
                self._refresh()
                self.stop.wait(max(0.0, self.settings.step_s - (time.monotonic() - started)))
        finally:
            self.close()

    def close(self) -> None:
        self.collector.close()
        self.engine.close()
