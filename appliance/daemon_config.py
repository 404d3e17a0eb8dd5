"""Apply a new config to a running daemon: write the file, restart only the workers it affects.

Devices, simulation and triggers apply at once (their workers restart). Policy, join, storage and server
are bound to the model, the write-ahead log or the socket: they are written and reported as needing a
restart of ``wabbit run``. In safe mode a valid config starts the whole loop.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.config import AppConfig

if TYPE_CHECKING:
    from appliance.daemon import Daemon

log = logging.getLogger("wabbit")
LIVE_SECTIONS = ("simulation", "triggers", "actuators", "feedback")
RESTART_SECTIONS = ("policy", "join", "storage", "server")


def write_atomically(path: Path, text: str) -> None:
    """Temp file, fsync, rename: a crash leaves the old file or the new one, never half of each."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") or not text else text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def changed_sections(old: AppConfig, new: AppConfig) -> tuple[list[str], list[str]]:
    """(sections to apply live, sections that need a restart).

    >>> old = AppConfig()
    >>> changed_sections(old, AppConfig.model_validate({"triggers": {"periodic_s": 2}, "join": {"reward_wait_s": 5}}))
    (['triggers'], ['join'])
    >>> changed_sections(old, AppConfig.model_validate({"simulation": {"world": "linear"}}))
    ([], ['policy'])
    """
    from appliance.assemble import policy_config
    from appliance.worlds import build_world

    live = [s for s in LIVE_SECTIONS if getattr(old, s) != getattr(new, s)]
    restart = [s for s in RESTART_SECTIONS if getattr(old, s) != getattr(new, s)]
    if policy_config(old, build_world(old.simulation)) != policy_config(new, build_world(new.simulation)):
        restart = sorted(set(restart) | {"policy"})  # another world brings other actions: a new model
        live = [s for s in live if s != "simulation"]
    return live, restart


def apply_config(daemon: "Daemon", config: AppConfig, text: str) -> dict[str, Any]:
    path = daemon.config_path or daemon.data_dir / "config.yaml"
    if daemon.loop is None:  # safe mode: the first valid config starts everything
        previous = daemon.config, daemon.error
        daemon.config, daemon.error = config, None
        try:
            daemon._start_loop()
        except BaseException:
            daemon._abandon_loop()
            daemon.config, daemon.error = previous
            raise
        write_atomically(path, text)
        daemon.config_path = path
        log.info("valid config received in safe mode: the loop runs now")
        return {"path": str(path), "restarted": [w.name for w in daemon.loop_workers], "restart_required": []}
    from appliance.devices import Devices, check_actions
    from appliance.errors import ConfigError

    live, restart = changed_sections(daemon.config, config)
    devices_changed = any(s in live for s in ("actuators", "feedback"))
    problems = check_actions(config.actuators, config.feedback, daemon.loop.policy.actions) if devices_changed else []
    if problems:
        raise ConfigError("\n".join(problems))
    hardware = Devices.from_config(config.actuators, config.feedback) if devices_changed else None
    try:
        write_atomically(path, text)
    except OSError:
        if hardware is not None:
            hardware.stop()
        raise
    daemon.config_path = path
    restarted: list[str] = []
    if live:
        daemon._stop_loop_workers()
        restarted = [w.name for w in daemon.loop_workers]
        daemon.config = daemon.config.model_copy(update={s: getattr(config, s) for s in live})
        if hardware is not None and daemon.hardware is not None:
            daemon.hardware.stop()
            daemon.hardware = hardware
            hardware.start(daemon.loop)
            restarted.append("devices")
        daemon._start_loop_workers()
    log.info("config written to %s; applied %s; needs a restart: %s", path, live or "nothing", restart or "nothing")
    return {"path": str(path), "restarted": restarted, "restart_required": restart}
