"""The daemon's states and the one place they change: safe -> running -> reconfiguring -> running ... -> stopping.

``safe``: the config is invalid (or a valid one failed to start); the API serves the error and waits for a
config. ``running``: the loop and its parts run. ``reconfiguring``: a new config is being applied; its plan
(:mod:`.plan`) restarts only the parts it names, and a config whose parts fail to start is rolled back: the
previous parts start again and the file is untouched. A config is written to its file only once it runs
(atomically; the replaced content kept as ``NAME.previous``). ``stopping``, then ``stopped``.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable, Literal

from appliance.bus import EventBus
from appliance.clock import Clock
from appliance.config import AppConfig
from appliance.config.devices import check_actions
from appliance.errors import ConfigError
from appliance.loop import Loop
from appliance.policy.policy_check import check_policy
from appliance.supervisor.config_file import replace_config_file
from appliance.supervisor.parts import Parts
from appliance.supervisor.plan import Plan, plan_change
from appliance.workers import Worker

log = logging.getLogger("wabbit")
State = Literal["safe", "starting", "running", "reconfiguring", "stopping", "stopped"]


class Supervisor:
    """Owns the loop and its parts; every state change goes through one lock."""

    def __init__(self, config: AppConfig, data_dir: Path, config_path: Path | None, error: str | None, bus: EventBus,
                 clock: Clock, pins: Callable[[AppConfig], Any]) -> None:
        self.config, self.data_dir, self.config_path, self.error = config, data_dir, config_path, error
        self.config_valid = error is None
        """False when safe mode's ``error`` is the config's own (it does not validate), not its failed start."""
        self.bus, self.clock, self._pins = bus, clock, pins
        self.state: State = "safe"
        self.loop: Loop | None = None
        self.parts: Parts | None = None
        self.recovered: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()

    @property
    def safe_reason(self) -> str | None:
        """Why the daemon is in safe mode, to follow "because" (``None`` when it runs): its config is invalid (where,
        and the fix), or it is valid but the loop could not start (why)."""
        if self.error is None:
            return None
        return f"its config is invalid: {self.error}" if not self.config_valid else f"its config is valid, but {self.error}"

    @property
    def workers(self) -> list[Worker]:
        """The loop's workers, for the watchdog (none in safe mode)."""
        parts = self.parts
        return parts.workers if parts is not None else []

    def start(self, safe_mode: bool = True) -> None:
        """Run the loop from the config, or stay in safe mode (an invalid config) and say why in the log: the daemon's
        way. Without ``safe_mode`` (a library's loop, which has no dashboard to wait on) a loop that cannot start raises
        its error instead, nothing logged and nothing left running."""
        with self._lock:
            if self.error is not None:
                log.error("invalid config; starting in safe mode (dashboard and /api/status show why):\n%s", self.error)
                return
            self._try_start(safe_mode)

    def start_again(self) -> None:
        """Start the loop of a valid config whose start failed (the daemon does once a full disk has room again: a Pi
        that restarted on a full SD card); nothing when the loop runs or the config itself is invalid."""
        with self._lock:
            if self.state == "safe" and self.config_valid and self.error is not None and self._try_start(safe_mode=True):
                log.info("the loop started, now that the data directory's disk has room")

    def _try_start(self, safe_mode: bool) -> bool:
        """Whether the loop started (else safe mode says why; without ``safe_mode`` the error is raised)."""
        try:
            self._start_loop(self.config)
        except Exception as err:
            self.error = f"the loop could not start: {err}"
            if not safe_mode:
                raise
            log.exception("the loop could not start; safe mode until a config that starts arrives")
            return False
        return True

    def apply(self, config: AppConfig, text: str) -> dict[str, Any]:
        """Apply ``config``, then write ``text`` to the config file: a config that fails to start is neither run nor
        written (what ran before runs on, the file keeps it, and a ConfigError says what failed)."""
        path = self.config_path or self.data_dir / "config.yaml"
        with self._lock:
            if self.state == "safe":
                self._start_from_safe_mode(config, text, path)
                log.info("valid config received in safe mode: the loop runs now")
                return {"path": str(path), "restarted": [w.name for w in self.workers], "restart_required": []}
            if self.state != "running":
                raise ConfigError(f"the daemon is {self.state}; send the config again once it runs")
            plan = self.check(config, path, applying=True)
            assert plan is not None  # running: it has a loop
            before = self.config
            if plan.live:
                self._reconfigure(before.model_copy(update={s: getattr(config, s) for s in plan.live}), before, plan, path)
            try:
                replace_config_file(path, text)
            except OSError:
                if plan.live:
                    self._reconfigure(before, before, plan, path)  # run what the file still says
                raise
            self.config_path = path
            log.info("config written to %s; applied %s; needs a restart: %s", path, list(plan.live) or "nothing",
                     list(plan.needs_restart) or "nothing")
            restarted = [w.name for w in self.workers] if plan.live else []
            restarted += (["sensing"] if plan.sensing and config.sources else []) + (["devices"] if plan.devices else [])
            return {"path": str(path), "restarted": restarted, "restart_required": list(plan.needs_restart)}

    def stop(self) -> None:
        """Stop the parts (capture first, actuators safe), flush and checkpoint the loop."""
        with self._lock:
            self.state = "stopping"
            self._stop.set()
            self._stop_loop()
            self.state = "stopped"

    # -- transitions -----------------------------------------------------------------------------
    def _start_loop(self, config: AppConfig) -> None:
        from appliance.assemble import open_loop

        self.state = "starting"
        try:
            self.loop = open_loop(config, self.clock, self.data_dir, bus=self.bus)
            self.parts = Parts(self.loop, self.clock, self._pins, self._stop, self.data_dir)
            self.parts.start_sinks(config)  # first: recovery checkpoints, and the pruning must see block mode's holds
            self.recovered = self.loop.recover()
            log.info("recovered: %s", self.recovered)
            self.parts.start(config)
        except BaseException:
            self._stop_loop()
            self.state = "safe"
            raise
        self.config, self.error, self.config_valid, self.state = config, None, True, "running"

    def _stop_loop(self) -> None:
        """Undo what runs (also a start that failed half-way): parts stopped, the loop closed; back to nothing."""
        if self.parts is not None:
            self.parts.stop()
        if self.loop is not None:
            self.loop.close()
            log.info("loop closed; model version %d checkpointed", self.loop.policy.model_version)
        if self.parts is not None:
            self.parts.stop_sinks(drain_s=5.0)  # the last events the close logged go out too
        self.loop, self.parts = None, None

    def _start_from_safe_mode(self, config: AppConfig, text: str, path: Path) -> None:
        """Start the whole loop from ``config``, then write it; on any failure back to safe mode, file untouched."""
        try:
            self._start_loop(config)
        except Exception as err:
            raise ConfigError(f"{path}: not applied: the loop could not start ({err}). The daemon stays in safe mode "
                              "and the file is unchanged; fix the config and send it again") from err
        try:
            replace_config_file(path, text)
        except BaseException:
            self._stop_loop()
            self.state = "safe"
            raise
        self.config_path = path

    def _reconfigure(self, config: AppConfig, before: AppConfig, plan: Plan, path: Path) -> None:
        """Restart the parts ``plan`` names from ``config``; if they fail, from ``before`` again."""
        assert self.parts is not None
        self.state = "reconfiguring"
        try:
            self.parts.apply(config, plan)
        except Exception as err:  # a trigger's pin in use, a source that cannot open: the previous config goes on
            self.parts.apply(before, plan)
            self.state = "running"
            raise ConfigError(f"{path}: not applied: its triggers, sensing, devices, observers or log sinks could not start ({err}). The "
                              "previous config still runs and the file is unchanged; fix the config and send it again") from err
        self.config, self.state = config, "running"

    def check(self, config: AppConfig, path: Path, applying: bool = False, start_policy: bool = True) -> Plan | None:
        """What applying ``config`` would change (``None`` in safe mode: it would start everything); a ConfigError
        (naming ``path``, in the words of an apply when ``applying``) if the running loop would refuse it: its devices
        name actions the policy lacks, or its changed policy cannot start (tried in a child unless not
        ``start_policy``: a check whose apply follows at once, which tries it anyway)."""
        with self._lock:
            if self.loop is None:
                return None
            plan = plan_change(self.config, config)
            problems = check_actions(config.actuators, config.feedback, self.loop.policy.actions) if plan.devices else []
            if problems:
                raise ConfigError("\n".join(problems))
            if start_policy and "policy" in plan.needs_restart:  # built only at the next restart: one failing then means safe mode
                check_policy(config.effective_policy().model_dump(mode="json", by_alias=True), path, applying=applying)
            return plan
