"""``wabbit run``: the appliance's process. Start-up reads as an ordered list; SIGTERM flushes and exits 0.

The daemon is only the shell: the data directory and token, the event bus, the supervisor (which owns the
loop, its parts and the config's states), the workers that always run, and the web API. An invalid config
does not stop it: the supervisor keeps it in *safe mode*, serving ``/healthz``, the dashboard and the error
(``/api/status``) until a valid config arrives (``PUT /api/config``) or the file is fixed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections import deque
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from appliance.bus import EventBus
from appliance.clock import SystemClock, process_started
from appliance.config import AppConfig
from appliance.events import StatsTaken
from appliance.features import Features
from appliance.heap import TRIM_EVERY_S, release_free_memory, settle_heap
from appliance.models.host import DaemonModels
from appliance.server.hub import EventHub
from appliance.storage.datadir import DataDir
from appliance.storage.diskspace import DiskWatch
from appliance.supervisor import Supervisor
from appliance.workers import Watchdog, Worker

if TYPE_CHECKING:
    from appliance.grpc.server import GrpcService
    from appliance.loop import Loop
    from appliance.sensing import Sensing
    from appliance.server.mqtt_stats import MQTTStats
    from appliance.supervisor.plan import Plan

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
        self.data_dir, self.host, self.port = data_dir, host, port
        self.disk = DiskWatch(data_dir)
        self.pin_factory = pin_factory  # gpiozero's; resolved once, when a configured kind has a GPIO pin
        self.clock = SystemClock()
        self.started = time.time()
        self._started = time.monotonic()  # the uptime, whatever the wall clock is set to meanwhile
        self.token = ""
        self.bus = EventBus()
        self.hub = EventHub(self.bus)
        self.supervisor = Supervisor(config, data_dir, config_path, error, self.bus, self.clock, self.pins)
        self.models = DaemonModels(self.supervisor, data_dir, self.clock)
        self.service_workers: list[Worker] = []
        self.mqtt_stats: MQTTStats | None = None
        self.grpc: GrpcService | None = None
        self._counts: tuple[float, int, int] = (time.monotonic(), 0, 0)
        self.rates: dict[str, float] = {}
        self.history: deque[dict[str, Any]] = deque(maxlen=360)
        self.restart_requested = False

    def run(self) -> int:
        import threading

        from appliance.server.access_token import load_or_create_token
        from appliance.server.app import create_app
        from appliance.server.serve import build_server

        # 0. SIGTERM/SIGINT during start-up: noted, and the daemon stops cleanly once started; a second one ends it at once
        signals: list[int] = []

        def starting(number: int, frame: FrameType | None) -> None:
            signals.append(number)
            signal.signal(number, signal.SIG_DFL)

        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, starting)
        # 1. the data directory (private, and this daemon's alone) and the access token (printed once, when made)
        claim = DataDir.claim(self.data_dir)
        self.token, created = load_or_create_token(self.data_dir)
        if created:
            print(f"Access token (also in {self.data_dir / 'token'}): {self.token}", flush=True)
        # 2. storage, model, devices and their workers (safe mode if the config is invalid); the other models
        self.supervisor.start()
        self.models.start()
        # 3. workers that always run: stats for the API, the dashboard and MQTT, the heap's trim, and the watchdog over all
        stop = threading.Event()
        if self.config.server.mqtt_stats is not None:
            from appliance.server.mqtt_stats import MQTTStats

            self.mqtt_stats = MQTTStats(self.config.server.mqtt_stats)
            self.mqtt_stats.start(self.bus)
        services = [Worker("stats", self._stats_step, 1.0), Worker("heap", release_free_memory, TRIM_EVERY_S)]
        watchdog = Watchdog(lambda: self._loop_workers() + services, interval_s=1.0)
        self.service_workers = [*services, watchdog.worker()]
        for worker in self.service_workers:
            worker.start(stop)
        self._start_grpc()
        if self.grpc is not None:  # restarted if its thread ever dies
            watch = Worker("grpc", self._grpc_watch, 5.0)
            self.service_workers.append(watch)
            watch.start(stop)
        # 4. the API; uvicorn turns SIGTERM/SIGINT into a return from run(), then re-raises the signal
        #    to the handler it found: ours only records it, so the shutdown below always runs.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: signals.append(number))

        def ready() -> None:
            self._ready()
            if signals:  # asked to stop while starting (uvicorn has its own handlers by now)
                server.should_exit = True

        app = create_app(self, on_ready=ready)
        server = build_server(app, self.host, self.port, on_exit=self.hub.close)  # closing the live streams speeds shutdown
        settle_heap()
        server.run()
        # 5. shutdown: capture, workers, actuators safe, the loop flushed and checkpointed, then the bus
        if not self.restart_requested:  # a restart execs this process again (`wabbit run`): systemd keeps it
            sd_notify("STOPPING=1")
        stop.set()
        if self.grpc is not None:
            self.grpc.stop()
        if self.mqtt_stats is not None:
            self.mqtt_stats.close(self.bus)  # `offline` (retained): the API is already gone
        self.models.close()
        self.supervisor.stop()
        self.bus.close()
        claim.release()
        log.info("stopped cleanly (signal %s)", signals[:1])
        return 0 if server.started else 1

    def _start_grpc(self) -> None:
        """The gRPC API beside the HTTP one, when ``server.grpc.enabled`` (else grpc is never imported). One that
        cannot start is logged and shown in ``/api/status``; the HTTP API serves on."""
        config = self.config.server.grpc
        if not config.enabled:
            return
        try:
            from appliance.grpc.server import GrpcService

            self.grpc = GrpcService(config, self.models, self.token, self.data_dir)
            self.grpc.start()
        except ImportError as err:
            log.error("the gRPC API is not served: it needs the grpc extra (pip install 'raspberry-wabbit[grpc]'): %s", err)
        except Exception as err:
            log.error("the gRPC API is not served: %s", err)

    def _grpc_watch(self) -> None:
        if self.grpc is not None and not self.grpc.alive():
            log.error("the gRPC API stopped (%s); starting it again", self.grpc.stats()["error"])
            self.grpc.stop()
            self._start_grpc()

    def pins(self, config: AppConfig) -> Any:
        """The pin factory GPIO actuators, feedback and button triggers share; ``None`` while no kind has a pin."""
        kinds: list[Any] = [*config.actuators, *config.feedback, *config.triggers.events]
        needed = any(kind.gpio_pins() for kind in kinds)
        if needed and self.pin_factory is None:
            from appliance.gpio import resolve_pin_factory

            self.pin_factory = resolve_pin_factory()
        return self.pin_factory

    def request_restart(self) -> None:
        """Stop as SIGTERM does, then (``wabbit run``) start again in this process with the config file as written."""
        self.restart_requested = True
        os.kill(os.getpid(), signal.SIGTERM)

    def _ready(self) -> None:
        now = time.time()  # since the process started (imports included), and since the daemon's own start-up
        log.info("ready in %.2f s since the process started (%.2f s since the imports): http://%s:%d%s",
                 now - process_started(), now - self.started, self.host, self.port,
                 " (SAFE MODE: /api/status says why)" if self.error else "")
        sd_notify("READY=1")

    # -- the Runtime the API uses ----------------------------------------------------------------
    @property
    def config(self) -> AppConfig:
        return self.supervisor.config

    @property
    def config_path(self) -> Path | None:
        return self.supervisor.config_path

    @property
    def error(self) -> str | None:
        return self.supervisor.error

    @property
    def safe_reason(self) -> str | None:
        return self.supervisor.safe_reason

    @property
    def loop(self) -> Loop | None:
        return self.supervisor.loop

    def current_context(self) -> Features:
        parts = self.supervisor.parts
        return parts.current_context() if parts is not None else {}

    def check_model(self, path: Path) -> None:
        from appliance.policy.model_check import check_model_file

        check_model_file(path, self.config.effective_policy().model_dump(mode="json", by_alias=True))

    def check_config(self, config: AppConfig, name: str, start_policy: bool = True) -> Plan | None:
        return self.supervisor.check(config, Path(name), start_policy=start_policy)

    def apply_config(self, config: AppConfig, text: str) -> dict[str, Any]:
        return self.supervisor.apply(config, text)

    @property
    def sensing(self) -> Sensing | None:
        """Live sensing, when sources are configured (the camera preview reads its frames)."""
        parts = self.supervisor.parts
        return parts.sensing if parts is not None else None

    def _loop_workers(self) -> list[Worker]:
        return [w for s in (self.supervisor, *self.models.supervisors()) for w in s.workers]

    def _stats_step(self) -> None:
        was_blocked = self.disk.blocked
        self.disk.check()
        if was_blocked and not self.disk.blocked:  # room again, or writable again
            self.supervisor.start_again()  # a loop the disk kept from starting starts, as the disk's message promised
            for worker in self._loop_workers():  # learning, the log and checkpoints go on now, not after their backoff
                worker.nudge()
        loop = self.loop
        if loop is not None:
            now, decisions, rewards = time.monotonic(), loop.joiner.stats.decisions, loop.joiner.stats.rewards
            then, d0, r0 = self._counts
            self._counts = (now, decisions, rewards)
            elapsed = max(now - then, 1e-6)
            self.rates = {"decisions_per_s": round((decisions - d0) / elapsed, 3), "rewards_per_s": round((rewards - r0) / elapsed, 3)}
            reward, random = loop.learner.baseline.recent()
            if reward is not None and (not self.history or self.history[-1]["learned"] != loop.learned):
                self.history.append({"t": round(time.time(), 1), "reward": reward, "random": random, "learned": loop.learned})
        if StatsTaken in self.bus.wanted:
            self.bus.publish(StatsTaken(self.status()))

    def status(self) -> dict[str, Any]:
        from appliance.server.stats import host_stats

        supervisor, parts, sensing = self.supervisor, self.supervisor.parts, self.sensing
        workers = {w.name: w.stats() for w in supervisor.workers + self.service_workers}
        base: dict[str, Any] = {
            "uptime_s": round(time.monotonic() - self._started, 3), "state": supervisor.state,
            "mode": "safe" if supervisor.state == "safe" else "live" if self.config.sources else
            "simulated" if self.config.simulation is not None else "service",
            "config_error": self.error, "config_valid": supervisor.config_valid, "disk": self.disk.state,
            "host": host_stats(), "workers": workers, "stream_clients": self.hub.subscribers,
            "observers": self.bus.stats(),
            "mqtt_stats": self.mqtt_stats.stats() if self.mqtt_stats is not None else None,
            "grpc": self.grpc.stats() if self.grpc is not None else None,
            "camera_preview": {**self.config.server.camera_preview.model_dump(),
                               "sources": sensing.preview_sources if sensing is not None else []},
        }
        loop = self.loop
        if loop is None or parts is None:
            return base
        running = parts.stats()
        running["observers"] = {**base["observers"], **running["observers"]}  # configured ones: their own counters too
        return {**base, **running, "loop": loop.stats(), "rates": self.rates, "reward_history": list(self.history)[-120:],
                "actions": list(loop.policy.actions),
                "triggers": {**self.config.triggers.model_dump(mode="json"), **(running["triggers"] or {})}}
