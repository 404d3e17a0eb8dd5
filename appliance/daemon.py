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
    from appliance.simulated import SimulatedDevices
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
                 config_path: Path | None = None, error: str | None = None) -> None:
        self.config, self.data_dir, self.host, self.port = config, data_dir, host, port
        self.config_path, self.error = config_path, error
        self.clock = SystemClock()
        self.started = time.time()
        self.token = ""
        self.hub = EventHub()
        self.loop: Loop | None = None
        self.hardware: Devices | None = None
        self.devices: SimulatedDevices | None = None
        self.world: World | None = None
        self.loop_workers: list[Worker] = []
        self.service_workers: list[Worker] = []
        self._stop = threading.Event()
        self._lock = threading.RLock()
        self._counts: tuple[float, int, int] = (time.monotonic(), 0, 0)
        self.rates: dict[str, float] = {}
        self.history: deque[dict[str, Any]] = deque(maxlen=360)

    def run(self) -> int:
        import uvicorn

        from appliance.server.access_token import load_or_create_token
        from appliance.server.app import create_app

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
        # 3. workers that always run: stats for the API and dashboard, and the watchdog over all the others
        stats = Worker("stats", self._stats_step, 1.0)
        watchdog = Watchdog(lambda: self.loop_workers + [stats], interval_s=1.0)
        self.service_workers = [stats, watchdog.worker()]
        for worker in self.service_workers:
            worker.start(self._stop)
        # 4. the API; uvicorn turns SIGTERM/SIGINT into a return from run(), then re-raises the signal
        #    to the handler it found: ours only records it, so the shutdown below always runs.
        signals: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: signals.append(number))
        hub = self.hub

        class Server(uvicorn.Server):
            def handle_exit(self, sig: int, frame: Any) -> None:
                hub.close()  # end the live streams, so shutdown need not wait for them
                super().handle_exit(sig, frame)

        app = create_app(self, on_ready=self._ready)
        server = Server(uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", access_log=False,
                                       timeout_graceful_shutdown=3, limit_concurrency=200))
        server.run()
        # 5. shutdown: stop capture and workers, flush the WAL and the log, checkpoint, actuators safe
        sd_notify("STOPPING=1")
        self._stop.set()
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
        from appliance.worlds import build_world

        self.world = build_world(self.config.simulation)
        self.loop = open_loop(self.config, self.clock, self.data_dir, context_namespaces=self.world.context_namespaces)
        log.info("recovered: %s", self.loop.recover())
        self.loop.listeners.append(self.hub.listener)
        self.hardware = Devices.from_config(self.config.actuators, self.config.feedback)
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
        from appliance.simulated import SimulatedDevices

        assert self.loop is not None and self.world is not None
        simulation = self.config.simulation
        if self.config.triggers.periodic_s is not None:
            simulation = simulation.model_copy(update={"decision_every_s": self.config.triggers.periodic_s})
        self.devices = SimulatedDevices(self.world, simulation, self.loop, self.clock, give_rewards=not self.config.feedback)
        self.loop_workers = [Worker("sources-decide", self.devices.step, 0.05), Worker("join-learn", self.loop.tick, 0.1)]
        for worker in self.loop_workers:
            worker.start(self._stop)

    def _stop_loop_workers(self) -> None:
        for worker in self.loop_workers:
            worker.retire()
        for worker in self.loop_workers:
            worker.join(5.0)

    def _ready(self) -> None:
        log.info("ready in %.2f s: http://%s:%d%s", time.time() - self.started, self.host, self.port,
                 " (SAFE MODE: invalid config)" if self.error else "")
        sd_notify("READY=1")

    # -- the Runtime the API uses ----------------------------------------------------------------
    def current_context(self) -> Features:
        if self.devices is not None and self.devices.last_context:
            return dict(self.devices.last_context)
        return self.world.context(0) if self.world is not None else {}

    def check_model(self, path: Path) -> None:
        from appliance.assemble import policy_config
        from appliance.server.model_check import check_model_file

        assert self.world is not None
        pconfig = policy_config(self.config, self.world)
        check_model_file(path, pconfig.model_dump(mode="json", by_alias=True), self.world.context_namespaces)

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
        recent = list(loop.recent)[-100:]
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
            "uptime_s": round(time.time() - self.started, 3), "mode": "safe" if self.error else "simulated",
            "config_error": self.error, "host": host_stats(), "workers": workers, "stream_clients": self.hub.subscribers,
        }
        if self.loop is None or self.devices is None or self.hardware is None:
            return base
        return {**base, "loop": self.loop.stats(), "rates": self.rates, "reward_history": list(self.history)[-120:],
                "simulation": self.devices.stats(), "devices": self.hardware.stats(),
                "actions": list(self.loop.policy.actions), "triggers": self.config.triggers.model_dump()}
