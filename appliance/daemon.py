"""``wabbit run``: the appliance's daemon. Start-up reads as an ordered list; SIGTERM flushes and exits 0.

An invalid config does not stop it: it starts in *safe mode*, serving ``/healthz``, the dashboard and the
error (``/api/status``) until a valid config arrives (``PUT /api/config``) or the file is fixed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.clock import SystemClock
from appliance.config import AppConfig
from appliance.config.policy import Features
from appliance.server.hub import EventHub
from appliance.workers import Watchdog, Worker

if TYPE_CHECKING:
    from appliance.devices import Devices
    from appliance.loop import Loop
    from appliance.sensing import Sensing
    from appliance.server.mqtt_stats import MQTTStats
    from appliance.simulated import SimulatedDevices
    from appliance.triggers import Triggers
    from appliance.worlds import World

log = logging.getLogger("wabbit")


def sd_notify(message: str) -> None:
    """Tell systemd (Type=notify) how we are doing; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(message.encode(), address)


class Daemon:
    """Also the API's ``Runtime`` (appliance/server/runtime.py)."""

    def __init__(self, config: AppConfig, data_dir: Path, host: str, port: int,
                 config_path: Path | None = None, error: str | None = None, pin_factory: Any = None) -> None:
        self.config, self.data_dir, self.host, self.port = config, data_dir, host, port
        self.config_path, self.error = config_path, error
        self.pin_factory = pin_factory  # gpiozero's; resolved once, when a GPIO device or button trigger needs it
        self.clock = SystemClock()
        self.started = time.time()
        self.token = ""
        self.hub = EventHub()
        self.loop: Loop | None = None
        self.hardware: Devices | None = None
        self.devices: SimulatedDevices | None = None
        self.world: World | None = None
        self.sensing: Sensing | None = None
        self.triggers: Triggers | None = None
        self.loop_workers: list[Worker] = []
        self.service_workers: list[Worker] = []
        self.mqtt_stats: MQTTStats | None = None
        self._stop = threading.Event()
        self._lock = threading.RLock()
        self._counts: tuple[float, int, int] = (time.monotonic(), 0, 0)
        self.rates: dict[str, float] = {}
        self.history: deque[dict[str, Any]] = deque(maxlen=360)

    def run(self) -> int:
        from appliance.server.access_token import load_or_create_token
        from appliance.server.app import create_app
        from appliance.server.serve import build_server

        # 1. the data directory and the access token (printed once, when it is made)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.token, created = load_or_create_token(self.data_dir)
        if created:
            print(f"Access token (also in {self.data_dir / 'token'}): {self.token}", flush=True)
        # 2. storage, model, devices and their workers; skipped in safe mode
        if self.error is None:
            self._start_loop()
        else:
            log.error("invalid config; starting in safe mode (dashboard and /api/status show why):\n%s", self.error)
        # 3. workers that always run: stats for the API and dashboard (and MQTT, if configured), and the
        #    watchdog over all the others
        services = [Worker("stats", self._stats_step, 1.0)]
        if self.config.server.mqtt_stats is not None:
            from appliance.server.mqtt_stats import MQTTStats

            self.mqtt_stats = MQTTStats(self.config.server.mqtt_stats, self.status)
            self.mqtt_stats.start()
            services.append(self.mqtt_stats.worker())
        watchdog = Watchdog(lambda: self.loop_workers + services, interval_s=1.0)
        self.service_workers = [*services, watchdog.worker()]
        for worker in self.service_workers:
            worker.start(self._stop)
        # 4. the API; uvicorn turns SIGTERM/SIGINT into a return from run(), then re-raises the signal
        #    to the handler it found: ours only records it, so the shutdown below always runs.
        signals: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: signals.append(number))
        app = create_app(self, on_ready=self._ready)
        server = build_server(app, self.host, self.port, on_exit=self.hub.close)  # closing the live streams speeds shutdown
        server.run()
        # 5. shutdown: stop capture and workers, flush the WAL and the log, checkpoint, actuators safe
        sd_notify("STOPPING=1")
        self._stop.set()
        if self.mqtt_stats is not None:
            self.mqtt_stats.close()  # `offline` (retained): the API is already gone
        self._stop_loop_workers()
        if self.hardware is not None:
            self.hardware.stop()  # every actuator to its safe state
        if self.loop is not None:
            self.loop.close()
            log.info("stopped cleanly (signal %s); model version %d checkpointed", signals[:1], self.loop.policy.model_version)
        else:
            log.info("stopped cleanly (signal %s); safe mode, nothing to checkpoint", signals[:1])
        return 0 if server.started else 1

    # -- the loop and its workers ----------------------------------------------------------------
    def _start_loop(self) -> None:
        from appliance.assemble import open_loop
        from appliance.devices import Devices
        from appliance.sensing import context_namespaces
        from appliance.worlds import build_world

        self.world = build_world(self.config.simulation)
        self.loop = open_loop(self.config, self.clock, self.data_dir, context_namespaces=context_namespaces(self.config))
        log.info("recovered: %s", self.loop.recover())
        self.loop.listeners.append(self.hub.listener)
        self.hardware = Devices.from_config(self.config.actuators, self.config.feedback, self.gpio(self.config))
        self.hardware.start(self.loop)
        self._start_loop_workers()

    def _abandon_loop(self) -> None:
        """Undo a start that failed half-way (a config the devices refused): back to safe mode, files closed."""
        self._stop_loop_workers()
        if self.hardware is not None:
            self.hardware.stop()
        if self.loop is not None:
            self.loop.close()
        self.loop, self.hardware, self.devices, self.loop_workers = None, None, None, []

    def _start_loop_workers(self) -> None:
        """Context (live sensing, or the simulated world), triggers and join-learn, as workers the watchdog covers."""
        from appliance.triggers import Triggers, build_triggers

        assert self.loop is not None and self.world is not None
        live = bool(self.config.sources)
        self.triggers = Triggers(build_triggers(self.config.triggers, self.gpio(self.config), periodic=live),
                                 self.current_context, self._decide, self.clock)
        if live:
            from appliance.sensing import Sensing

            if self.sensing is None:  # kept across a config change that leaves sources and featurizers alone
                try:
                    self.sensing = Sensing(self.config.sources, self.config.featurizers,
                                           preview=self.config.server.camera_preview.enabled)
                except BaseException:
                    self.triggers.stop()
                    raise
                self.sensing.start()
            self.devices = None
            workers = [Worker("sense", self.sensing.step, 0.01)]
        else:
            from appliance.simulated import SimulatedDevices

            simulation = self.config.simulation
            if self.config.triggers.periodic_s is not None:
                simulation = simulation.model_copy(update={"decision_every_s": self.config.triggers.periodic_s})
            self.devices = SimulatedDevices(self.world, simulation, self.loop, self.clock, give_rewards=not self.config.feedback)
            workers = [Worker("sources-decide", self.devices.step, 0.05)]
        self.triggers.start()
        if self.triggers.triggers:
            workers.append(Worker("triggers", self.triggers.step, 0.02))
        self.loop_workers = [*workers, Worker("join-learn", self.loop.tick, 0.1)]
        for worker in self.loop_workers:
            worker.start(self._stop)

    def _stop_loop_workers(self, sensing: bool = True) -> None:
        """Capture first (a SIGTERM releases the microphone and camera at once), then the workers, then triggers.

        ``sensing=False`` keeps capture running (a config change that leaves sources and featurizers alone).
        """
        if sensing and self.sensing is not None:
            self.sensing.stop()
            self.sensing = None
        for worker in self.loop_workers:
            worker.retire()
        for worker in self.loop_workers:
            worker.join(5.0)
        if self.triggers is not None:
            self.triggers.stop()

    def _decide(self, context: Features) -> None:
        """A trigger fired: decide from ``context``; returns once the decision is durable (actuators acted)."""
        assert self.loop is not None
        _, ticket = self.loop.decide(context)
        ticket.wait()

    def gpio(self, config: AppConfig) -> Any:
        """The pin factory GPIO actuators, feedback and button triggers share; ``None`` while none is configured."""
        from appliance.config.actuators import GPIO_TYPES as GPIO_ACTUATORS
        from appliance.config.feedback import GPIO_TYPES as GPIO_FEEDBACK

        needed = (any(a.type in GPIO_ACTUATORS for a in config.actuators) or any(f.type in GPIO_FEEDBACK for f in config.feedback)
                  or any(e.type == "button" for e in config.triggers.events))
        if needed and self.pin_factory is None:
            from appliance.actuators.pins import resolve_pin_factory

            self.pin_factory = resolve_pin_factory()
        return self.pin_factory

    def _ready(self) -> None:
        log.info("ready in %.2f s: http://%s:%d%s", time.time() - self.started, self.host, self.port,
                 " (SAFE MODE: invalid config)" if self.error else "")
        sd_notify("READY=1")

    # -- the Runtime the API uses ----------------------------------------------------------------
    def current_context(self) -> Features:
        if self.sensing is not None:
            return self.sensing.context()
        if self.devices is not None and self.devices.last_context:
            return dict(self.devices.last_context)
        return self.world.context(0) if self.world is not None else {}

    def check_model(self, path: Path) -> None:
        from appliance.assemble import policy_config
        from appliance.sensing import context_namespaces
        from appliance.server.model_check import check_model_file

        assert self.world is not None
        pconfig = policy_config(self.config, self.world)
        check_model_file(path, pconfig.model_dump(mode="json", by_alias=True), context_namespaces(self.config))

    def apply_config(self, config: AppConfig, text: str) -> dict[str, Any]:
        from appliance.daemon_config import apply_config

        with self._lock:
            return apply_config(self, config, text)

    def _stats_step(self) -> None:
        loop = self.loop
        if loop is None:
            self.hub.publish("stats", self.status())
            return
        now, decisions, rewards = time.monotonic(), loop.joiner.stats.decisions, loop.joiner.stats.rewards
        then, d0, r0 = self._counts
        self._counts = (now, decisions, rewards)
        elapsed = max(now - then, 1e-6)
        self.rates = {"decisions_per_s": round((decisions - d0) / elapsed, 3), "rewards_per_s": round((rewards - r0) / elapsed, 3)}
        recent = loop.recent_joined()[-100:]
        if recent:
            point = {"t": round(time.time(), 1), "reward": sum(e["reward"] for e in recent) / len(recent),
                     "random": sum(e["reward"] / (len(e["pmf"]) * e["probability"]) for e in recent) / len(recent),
                     "learned": loop.learned}
            if not self.history or point["learned"] != self.history[-1]["learned"]:
                self.history.append(point)
        if self.hub.subscribers:
            self.hub.publish("stats", self.status())

    def status(self) -> dict[str, Any]:
        from appliance.server.stats import host_stats

        workers = {w.name: w.stats() for w in self.loop_workers + self.service_workers}
        base: dict[str, Any] = {
            "uptime_s": round(time.time() - self.started, 3),
            "mode": "safe" if self.error else "live" if self.config.sources else "simulated",
            "config_error": self.error, "host": host_stats(), "workers": workers, "stream_clients": self.hub.subscribers,
            "mqtt_stats": self.mqtt_stats.stats() if self.mqtt_stats is not None else None,
            "camera_preview": {**self.config.server.camera_preview.model_dump(),
                               "sources": self.sensing.preview_sources if self.sensing is not None else []},
        }
        if self.loop is None or self.hardware is None or self.triggers is None:
            return base
        context = {"sensing": self.sensing.stats()} if self.sensing is not None else \
            {"simulation": self.devices.stats()} if self.devices is not None else {}
        return {**base, **context, "loop": self.loop.stats(), "rates": self.rates, "reward_history": list(self.history)[-120:],
                "devices": self.hardware.stats(), "actions": list(self.loop.policy.actions),
                "triggers": {**self.config.triggers.model_dump(mode="json"), **self.triggers.stats()}}
