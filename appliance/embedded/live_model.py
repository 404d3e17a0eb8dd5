"""The appliance's loop inside a Python program: no daemon, no HTTP, and as durable as the daemon.

``LiveModel`` runs the same supervisor ``wabbit run`` runs (its loop, observers and the worker that joins and
learns) from the same config, on a data directory of its own (locked, like the daemon's). ``choose_rank``
returns once the decision is in the write-ahead log, ``report_outcome`` once the reward is. The names follow
rlclientlib's ``LiveModel``, and :meth:`LiveModel.from_rlclient` reads its ``client.json``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Mapping, Sequence

from pydantic import ValidationError

from appliance.bus import EventBus
from appliance.clock import SystemClock
from appliance.config import AppConfig, load_config
from appliance.config.base import format_validation_error
from appliance.embedded.rlclient_config import config_from_rlclient
from appliance.errors import ConfigError, UsageError
from appliance.events import StatsTaken
from appliance.features import Features
from appliance.loop import Loop
from appliance.storage.datadir import DataDir
from appliance.supervisor import Supervisor

log = logging.getLogger(__name__)

STATS_EVERY_S = 1.0
"""How often the observers that take ``StatsTaken`` get the loop's stats, as the daemon's status gives them (a
``tensorboard`` observer's ``every_s`` runs on it)."""


@dataclass(frozen=True)
class Ranking:
    """A decision: its id (send it with the reward), the chosen action, every action's probability, the model."""

    event_id: str
    chosen_action: str
    pmf: list[tuple[str, float]]
    model_version: int

    @property
    def probability(self) -> float:
        """The chosen action's probability."""
        return dict(self.pmf)[self.chosen_action]


class LiveModel:
    """``LiveModel(config, data_dir)``; use it as a context manager, or call :meth:`close`.

    ``config``: an :class:`AppConfig`, a dict of the same sections, or a YAML file (an invalid one raises
    :class:`~appliance.errors.ConfigError`, one line per problem, as ``wabbit config validate`` prints them). Without ``simulation`` set,
    no simulated world makes decisions of its own: only ``choose_rank`` does (and triggers, if configured).
    """

    def __init__(self, config: AppConfig | Mapping[str, Any] | Path | str, data_dir: Path | str) -> None:
        self.config = _as_config(config)
        self.data_dir = Path(data_dir)
        self._claim = DataDir.claim(self.data_dir, "data_dir= (LiveModel's argument)")
        self.bus = EventBus()
        self._supervisor = Supervisor(self.config, self.data_dir, None, None, self.bus, SystemClock(), lambda config: None)
        self._ticking = threading.Event()
        self._ticker: threading.Thread | None = None
        try:
            self._supervisor.start(safe_mode=False)
        except Exception as err:
            self.close()
            raise UsageError(f"the loop could not start: {err}") from err
        self._ticker = threading.Thread(target=self._tick, name="live-model-stats", daemon=True)
        self._ticker.start()

    @classmethod
    def from_rlclient(cls, client_json: Path | str | Mapping[str, Any], actions: Sequence[str], data_dir: Path | str,
                      log_sinks: Sequence[Mapping[str, Any]] = ()) -> LiveModel:
        """A live model from rlclientlib's JSON configuration: its policy, learning mode, model source and log shipping
        (``log_sinks``: sinks to ship to, batched by its ``send.*`` and ``queue.mode`` keys). rlclientlib's keys
        without an equivalent here are named in one warning; a key rlclientlib does not know is refused."""
        source = str(client_json) if isinstance(client_json, (str, Path)) else "client.json"
        raw = _read_client_json(Path(client_json)) if isinstance(client_json, (str, Path)) else client_json
        found = config_from_rlclient(raw, actions, log_sinks, source)
        warning = found.warning()
        if warning:
            log.warning("%s", warning)
        config = _as_config(found.config, f"{source} (read as this appliance's config)")
        try:
            return cls(config, data_dir)
        except UsageError as err:  # VW refused its command line: the file's own words
            raise UsageError(f"{source}: {err}") from None

    @property
    def loop(self) -> Loop:
        loop = self._supervisor.loop
        if loop is None:
            raise UsageError("this live model is closed")
        return loop

    def choose_rank(self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None) -> Ranking:
        """Choose among ``actions`` (default: every declared one) for ``context``; returns once it is durable."""
        decision, ticket = self.loop.decide(context, actions, event_id)
        ticket.wait()
        return Ranking(decision.event_id, decision.action, list(zip(decision.actions, decision.pmf)), decision.model_version)

    def report_outcome(self, event_id: str, reward: float, reward_id: str | None = None) -> str:
        """The reward for a decision; returns once it is durable: ``accepted``, ``late``, ``duplicate`` or
        ``unknown`` (no decision with this id is waiting or recently closed: nothing was stored)."""
        result, ticket = self.loop.reward(event_id, reward, reward_id)
        ticket.wait()
        return result.status

    def _tick(self) -> None:
        """The loop's stats every :data:`STATS_EVERY_S` to the observers that take them, until the model closes."""
        while not self._ticking.wait(STATS_EVERY_S):
            loop = self._supervisor.loop
            if loop is not None and StatsTaken in self.bus.wanted:
                self.bus.publish(StatsTaken({"loop": loop.stats()}))

    def close(self) -> None:
        """Learn what is due, checkpoint, release the data directory; pending decisions wait in the WAL for the next start."""
        self._ticking.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._supervisor.state != "stopped":
            self._supervisor.stop()
            self.bus.close()
            self._claim.release()

    def __enter__(self) -> LiveModel:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def _as_config(config: AppConfig | Mapping[str, Any] | Path | str, source: str = "LiveModel config") -> AppConfig:
    """``config`` as an :class:`AppConfig`; one that does not set ``simulation`` has no simulated world."""
    if isinstance(config, (str, Path)):
        source, config = str(config), load_config(Path(config))
    if isinstance(config, AppConfig):
        if "simulation" in config.model_fields_set:
            return config
        try:
            return config.in_world(None, "simulation is null: a LiveModel runs no simulated world unless its config sets `simulation`")
        except ConfigError as err:
            raise ConfigError(f"{source}: {err}") from None
    try:
        return AppConfig.model_validate({"simulation": None, **config})
    except ValidationError as err:
        raise ConfigError(format_validation_error(AppConfig, err, source, None)) from None


def _read_client_json(path: Path) -> Mapping[str, Any]:
    """rlclientlib's JSON configuration file; a file that cannot be read, or is not a JSON object, is a ConfigError
    naming it."""
    try:
        raw = json.loads(path.read_bytes())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it ({err.strerror}); give the path of rlclientlib's client.json") from None
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}:{err.lineno}: not JSON ({err.msg}); fix the file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not JSON (not UTF-8 text); fix the file") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: not an rlclientlib configuration: a JSON object of keys and values, not a "
                          f"{'list' if isinstance(raw, list) else type(raw).__name__}")
    return raw
