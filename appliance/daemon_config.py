"""Apply a new config to a running daemon: restart only the workers it affects, then write the file.

Devices, simulation, triggers, sources and featurizers apply at once (their workers restart; capture restarts
only when sources or featurizers changed). Policy, join, storage and server are bound to the model, the
write-ahead log or the socket, and so is the set of context namespaces (the model's interactions): they are
written and reported as needing a restart of ``wabbit run``. In safe mode a valid config starts the whole loop.

The file is replaced only once the new config runs (temp file, fsync, rename; the replaced content stays in
``NAME.previous``). A config whose triggers, sources or devices fail to start is rolled back: the previous
workers start again and the file is untouched, so a restart comes up with the config that was running.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.config import AppConfig
from appliance.errors import ConfigError
from appliance.storage.atomic import write_atomically

if TYPE_CHECKING:
    from appliance.daemon import Daemon

log = logging.getLogger("wabbit")
LIVE_SECTIONS = ("simulation", "sources", "featurizers", "triggers", "actuators", "feedback")
SENSING_SECTIONS = ("sources", "featurizers")
DEVICE_SECTIONS = ("actuators", "feedback")
RESTART_SECTIONS = ("policy", "join", "storage", "server")


def replace_config_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; the content it replaces stays in ``path.previous``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "config.yaml"
    ...     replace_config_file(path, "join: {reward_wait_s: 5}")
    ...     replace_config_file(path, "join: {reward_wait_s: 9}\\n")
    ...     path.read_text(), backup_path(path).read_text()
    ('join: {reward_wait_s: 9}\\n', 'join: {reward_wait_s: 5}\\n')
    """
    data = (text if text.endswith("\n") or not text else text + "\n").encode("utf-8")
    try:
        previous: bytes | None = path.read_bytes()
    except FileNotFoundError:
        previous = None
    if previous is not None and previous != data:
        write_atomically(backup_path(path), previous)
    write_atomically(path, data)


def backup_path(path: Path) -> Path:
    """Where :func:`replace_config_file` keeps the config it replaced."""
    return path.with_name(path.name + ".previous")


def changed_sections(old: AppConfig, new: AppConfig) -> tuple[list[str], list[str]]:
    """(sections to apply live, sections that need a restart).

    >>> old = AppConfig()
    >>> changed_sections(old, AppConfig.model_validate({"triggers": {"periodic_s": 2}, "join": {"reward_wait_s": 5}}))
    (['triggers'], ['join'])
    >>> changed_sections(old, AppConfig.model_validate({"simulation": {"world": "linear"}}))
    ([], ['policy'])
    >>> live = {"policy": {"actions": [{"id": "on"}, {"id": "off"}]}, "sources": [{"type": "synthetic_audio", "id": "mic"}],
    ...         "featurizers": [{"type": "audio", "source": "mic"}]}
    >>> other = AppConfig.model_validate({**live, "sources": [{"type": "synthetic_audio", "id": "mic", "seed": 2}]})
    >>> changed_sections(AppConfig.model_validate(live), other)
    (['sources'], [])
    >>> changed_sections(old, AppConfig.model_validate(live))
    ([], ['featurizers', 'policy'])
    """
    from appliance.assemble import policy_config
    from appliance.sensing import context_namespaces
    from appliance.worlds import build_world

    live = [s for s in LIVE_SECTIONS if getattr(old, s) != getattr(new, s)]
    restart = [s for s in RESTART_SECTIONS if getattr(old, s) != getattr(new, s)]
    if policy_config(old, build_world(old.simulation)) != policy_config(new, build_world(new.simulation)):
        restart = sorted(set(restart) | {"policy"})  # another world brings other actions: a new model
        live = [s for s in live if s != "simulation"]
    if (old.sources or new.sources) and context_namespaces(old) != context_namespaces(new):  # other interactions: a new model
        restart = sorted(set(restart) | {"featurizers"})
        live = [s for s in live if s not in ("simulation", *SENSING_SECTIONS)]
    return live, restart


def apply_config(daemon: "Daemon", config: AppConfig, text: str) -> dict[str, Any]:
    """Apply ``config``, then write ``text`` to the config file: a config that fails to start is neither run
    nor written (the previous one runs on, the file keeps it, and a ConfigError says what failed)."""
    path = daemon.config_path or daemon.data_dir / "config.yaml"
    if daemon.loop is None:  # safe mode: the first valid config starts everything
        _start_from_safe_mode(daemon, config, text, path)
        log.info("valid config received in safe mode: the loop runs now")
        return {"path": str(path), "restarted": [w.name for w in daemon.loop_workers], "restart_required": []}
    from appliance.devices import check_actions

    live, restart = changed_sections(daemon.config, config)
    sensing = any(s in live for s in SENSING_SECTIONS)
    devices = any(s in live for s in DEVICE_SECTIONS)
    problems = check_actions(config.actuators, config.feedback, daemon.loop.policy.actions) if devices else []
    if problems:
        raise ConfigError("\n".join(problems))
    before = daemon.config
    restarted: list[str] = []
    if live:
        try:
            _restart(daemon, before.model_copy(update={s: getattr(config, s) for s in live}), sensing, devices)
        except Exception as err:  # a trigger's pin in use, a source that cannot open: the previous config goes on
            _restart(daemon, before, sensing, devices)
            raise ConfigError(f"{path}: not applied: its triggers, sensing or devices could not start ({err}). The "
                              "previous config still runs and the file is unchanged; fix the config and send it again") from err
        restarted = [w.name for w in daemon.loop_workers]
        restarted += (["sensing"] if sensing and config.sources else []) + (["devices"] if devices else [])
    try:
        replace_config_file(path, text)
    except OSError:
        if live:
            _restart(daemon, before, sensing, devices)  # run what the file still says
        raise
    daemon.config_path = path
    log.info("config written to %s; applied %s; needs a restart: %s", path, live or "nothing", restart or "nothing")
    return {"path": str(path), "restarted": restarted, "restart_required": restart}


def _start_from_safe_mode(daemon: "Daemon", config: AppConfig, text: str, path: Path) -> None:
    """Start the whole loop from ``config``, then write it; on any failure back to safe mode, file untouched."""
    previous = daemon.config, daemon.error
    daemon.config, daemon.error = config, None
    try:
        try:
            daemon._start_loop()
        except Exception as err:
            raise ConfigError(f"{path}: not applied: the loop could not start ({err}). The daemon stays in safe mode "
                              "and the file is unchanged; fix the config and send it again") from err
        replace_config_file(path, text)
    except BaseException:
        daemon._abandon_loop()
        daemon.config, daemon.error = previous
        raise
    daemon.config_path = path


def _restart(daemon: "Daemon", config: AppConfig, sensing: bool, devices: bool) -> None:
    """Stop the loop's workers (capture too if ``sensing``, the devices too if ``devices``); start them from ``config``."""
    from appliance.devices import Devices

    assert daemon.loop is not None and daemon.hardware is not None
    daemon._stop_loop_workers(sensing=sensing)
    if devices:
        daemon.hardware.stop()  # every actuator safe, its pins free for the new devices or triggers
    daemon.config = config
    if devices:
        daemon.hardware = Devices.from_config(config.actuators, config.feedback, daemon.gpio(config))
        daemon.hardware.start(daemon.loop)
    daemon._start_loop_workers()
