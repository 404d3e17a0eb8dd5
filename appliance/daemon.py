"""``wabbit run``: the appliance's daemon. Start-up reads as an ordered list; SIGTERM flushes and exits 0."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from appliance.clock import SystemClock
from appliance.config import AppConfig

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
    def __init__(self, config: AppConfig, data_dir: Path, host: str, port: int) -> None:
        self.config, self.data_dir, self.host, self.port = config, data_dir, host, port
        self.clock = SystemClock()
        self.started = time.time()

    def run(self) -> int:
        import uvicorn

        from appliance.assemble import open_loop
        from appliance.devices import Devices
        from appliance.server.app import create_app
        from appliance.server.access_token import load_or_create_token
        from appliance.simulated import SimulatedDevices
        from appliance.workers import Worker
        from appliance.worlds import build_world

        # 1. storage and model: load the last checkpoint, relearn the log after it, restore pending decisions
        world = build_world(self.config.simulation)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.loop = open_loop(self.config, self.clock, self.data_dir, context_namespaces=world.context_namespaces)
        log.info("recovered: %s", self.loop.recover())
        # 2. the access token (printed once, when it is made)
        token, created = load_or_create_token(self.data_dir)
        if created:
            print(f"Access token (also in {self.data_dir / 'token'}): {token}", flush=True)
        # 3. devices (actuators follow decisions, feedback sources give rewards) and workers
        self.hardware = Devices.from_config(self.config.actuators, self.config.feedback)
        self.hardware.start(self.loop)
        self.devices = SimulatedDevices(world, self.config.simulation, self.loop, self.clock, give_rewards=not self.config.feedback)
        stop = threading.Event()
        self.workers = [Worker("simulated-devices", self.devices.step, 0.05), Worker("join-learn", self.loop.tick, 0.1)]
        for worker in self.workers:
            worker.start(stop)
        # 4. the API; uvicorn turns SIGTERM/SIGINT into a return from run(), then re-raises the signal
        #    to the handler it found: ours only records it, so the shutdown below always runs.
        signals: list[int] = []
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda number, frame: signals.append(number))
        app = create_app(self.status, token, on_ready=self._ready)
        server = uvicorn.Server(uvicorn.Config(app, host=self.host, port=self.port, log_level="warning", access_log=False))
        server.run()
        # 5. shutdown: stop capture and workers, flush the WAL and the log, checkpoint
        sd_notify("STOPPING=1")
        stop.set()
        for worker in self.workers:
            worker.join(5.0)
        self.hardware.stop()  # every actuator to its safe state
        self.loop.close()
        log.info("stopped cleanly (signal %s); model version %d checkpointed", signals[:1], self.loop.policy.model_version)
        return 0 if server.started else 1

    def _ready(self) -> None:
        log.info("ready in %.2f s: http://%s:%d", time.time() - self.started, self.host, self.port)
        sd_notify("READY=1")

    def status(self) -> dict[str, Any]:
        return {
            "uptime_s": round(time.time() - self.started, 3),
            "mode": "simulated",
            "loop": self.loop.stats(),
            "simulation": self.devices.stats(),
            "workers": {w.name: w.stats() for w in self.workers},
            "devices": self.hardware.stats(),
        }
