"""What runs around the loop for one config: devices, the context (live sensing or the simulated world),
triggers, observers, and the workers that drive them.

Each part starts and stops on its own, so a config change restarts only what it must (:mod:`.plan`). Stopping
releases capture first (a SIGTERM frees the microphone and camera at once), then the workers and triggers,
then the devices (every actuator to its safe state).
"""

from __future__ import annotations

import logging
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from appliance.clock import Clock
from appliance.config import AppConfig
from appliance.features import Features
from appliance.loop import Loop
from appliance.supervisor.plan import Plan
from appliance.workers import Worker

if TYPE_CHECKING:
    from appliance.devices import Devices
    from appliance.model_sources import ModelUpdater
    from appliance.observers import Observers
    from appliance.sensing import Sensing
    from appliance.simulated import SimulatedDevices
    from appliance.sinks.process import ShipperProcess
    from appliance.triggers import Triggers

log = logging.getLogger(__name__)


class Parts:
    """The parts of one running loop. ``pins(config)`` is the daemon's shared gpiozero pin factory (``None``
    while no configured kind has a GPIO pin)."""

    def __init__(self, loop: Loop, clock: Clock, pins: Callable[[AppConfig], Any], stop: threading.Event, data_dir: Path) -> None:
        self.loop, self.clock, self._pins, self._stop, self._data_dir = loop, clock, pins, stop, data_dir
        self.devices: Devices | None = None
        self.sensing: Sensing | None = None
        self.simulated: SimulatedDevices | None = None
        self.triggers: Triggers | None = None
        self.observers: Observers | None = None
        self.model_updater: ModelUpdater | None = None
        self.model_worker: Worker | None = None
        self.shippers: list[tuple[ShipperProcess, Worker]] = []
        self.context_workers: list[Worker] = []
        self.learn_worker = Worker("join-learn", loop.tick, 0.1)

    @property
    def workers(self) -> list[Worker]:
        """Every worker the watchdog covers."""
        return [*self.context_workers, self.learn_worker, *([self.model_worker] if self.model_worker else []),
                *(worker for _, worker in self.shippers)]

    # -- the whole set ---------------------------------------------------------------------------
    def start(self, config: AppConfig) -> None:
        """Start every part but the log sinks (:meth:`start_sinks`, before the loop's recovery); on a failure the parts
        started are stopped again and the error propagates."""
        try:
            self._start_observers(config)
            self._start_devices(config)
            self._start_context(config)
            self._start_model_source(config)
            self.learn_worker.start(self._stop)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Capture, workers, triggers, devices (safe state), observers; idempotent, never raises. The log sinks go on
        until :meth:`stop_sinks` (after the loop's last events are logged)."""
        self._stop_context(sensing=True)
        self._stop_model_source()
        self.learn_worker.retire()
        self.learn_worker.join(5.0)
        self._stop_devices()
        if self.observers is not None:
            self.observers.stop()
            self.observers = None

    def apply(self, config: AppConfig, plan: Plan) -> None:
        """Restart the parts ``plan`` names from ``config`` (the context and triggers always restart: it is cheap)."""
        self._stop_context(sensing=plan.sensing)
        if plan.devices:
            self._stop_devices()
        if plan.observers and self.observers is not None:
            self.observers.stop()
            self.observers = None
        if plan.observers:
            self._start_observers(config)
        if plan.devices:
            self._start_devices(config)
        if plan.model_source:
            self._stop_model_source()
            self._start_model_source(config)
        if plan.log_sinks:
            old, self.shippers = self.shippers, []
            self._retire_sinks(old)  # their cursors are final; their holds stay...
            try:
                self.start_sinks(config)  # ...until the new shippers hold what they have not shipped
            finally:
                self._release_sinks(old)
        self._start_context(config)

    # -- one part at a time ----------------------------------------------------------------------
    def _start_observers(self, config: AppConfig) -> None:
        if config.observers:
            from appliance.observers import Observers

            self.observers = Observers.start(self.loop.bus, config.observers, self._data_dir, self.loop.learner.action_features,
                                             self.loop.policy)

    def _start_devices(self, config: AppConfig) -> None:
        from appliance.devices import Devices

        self.devices = Devices.from_config(config.actuators, config.feedback, self._pins(config))
        self.devices.start(self.loop)

    def _stop_devices(self) -> None:
        if self.devices is not None:
            self.devices.stop()  # every actuator safe, its pins free for the new devices or triggers
            self.devices = None

    def _start_model_source(self, config: AppConfig) -> None:
        """The worker that looks for new models every ``interval_s``, checks them and swaps them in."""
        if config.model_source is None:
            return
        from appliance.model_sources import ModelUpdater
        from appliance.models.loop_versions import load_pulled
        from appliance.policy.model_check import check_model_file
        from appliance.registry import REGISTRY

        policy = config.effective_policy().model_dump(mode="json", by_alias=True)
        loop = self.loop
        source = REGISTRY.build("model_sources", config.model_source, name=f"model-source-{config.model_source.type}")
        self.model_updater = ModelUpdater(source, self._data_dir, lambda path: check_model_file(path, policy),
                                          partial(load_pulled, loop, source.name))
        self.model_worker = Worker("model-source", self.model_updater.step, config.model_source.interval_s)
        self.model_worker.start(self._stop)

    def _stop_model_source(self) -> None:
        if self.model_worker is not None and self.model_updater is not None:
            self.model_worker.retire()
            self.model_worker.join(10.0)
            self.model_updater.source.close()
        self.model_worker, self.model_updater = None, None

    def start_sinks(self, config: AppConfig) -> None:
        """One shipper per log sink, each in a child process of its own (:mod:`appliance.sinks.process`: it never holds
        the loop process's interpreter lock) resuming from its cursor in ``DATA_DIR/sinks``, and a worker that starts
        it again if it dies. Started before the loop's recovery, whose checkpoint prunes the log: a block-mode sink's
        hold must be in place by then. Without log sinks, nothing of them is imported."""
        if not config.log_sinks:
            return
        from appliance.sinks.process import ShipperProcess

        try:
            for index, sink_config in enumerate(config.log_sinks):
                name = sink_config.name or f"{sink_config.type}-{index}"
                source = self.loop.journal.raw if sink_config.stream == "raw" else self.loop.journal.events
                assert source is not None  # the raw log is opened with the loop when a sink ships it (see the plan)
                host = ShipperProcess(sink_config, name, source, self._data_dir / "sinks" / f"{name}.cursor",
                                      min(0.25, sink_config.batch_interval_s / 2))
                worker = Worker(f"sink-{name}", host.watch, 0.5)
                self.shippers.append((host, worker))
                host.start()
                worker.start(self._stop)
        except BaseException:
            self.stop_sinks()
            raise

    def stop_sinks(self, drain_s: float = 0.0) -> None:
        """Stop the shippers; with ``drain_s``, each first ships what the log holds (a clean shutdown)."""
        shippers, self.shippers = self.shippers, []
        self._retire_sinks(shippers, drain_s)
        self._release_sinks(shippers)

    @staticmethod
    def _retire_sinks(shippers: list[tuple[ShipperProcess, Worker]], drain_s: float = 0.0) -> None:
        for _, worker in shippers:
            worker.retire()
        for host, worker in shippers:
            worker.join(10.0)
            if drain_s:
                host.drain(drain_s)
            host.stop()

    @staticmethod
    def _release_sinks(shippers: list[tuple[ShipperProcess, Worker]]) -> None:
        """Block mode's holds on the log go: what these shippers had not shipped may be pruned."""
        for host, _ in shippers:
            host.release()

    def _start_context(self, config: AppConfig) -> None:
        """Triggers, and the context they decide from: live sensing, the simulated world, or none (API only)."""
        from appliance.triggers import Triggers, build_triggers

        live = bool(config.sources)
        world = not live and config.simulation is not None
        self.triggers = Triggers(build_triggers(config.triggers, self._pins(config), periodic=not world),
                                 self.current_context, self._decide, self.clock)
        workers = []
        try:
            if live:
                workers.append(Worker("sense", self._sensing(config).step, 0.01))
            elif config.simulation is not None:
                workers.append(Worker("sources-decide", self._simulated(config).step, 0.05))
        except BaseException:
            self.triggers.stop()
            raise
        self.triggers.start()
        if self.triggers.triggers:
            workers.append(Worker("triggers", self.triggers.step, 0.02))
        self.context_workers = workers
        for worker in workers:
            worker.start(self._stop)

    def _sensing(self, config: AppConfig) -> Sensing:
        """Capture, kept across a config change that leaves sources and featurizers alone."""
        if self.sensing is None:
            from appliance.sensing import Sensing

            self.sensing = Sensing(config.sources, config.featurizers, preview=config.server.camera_preview.enabled)
            self.sensing.start()
        self.simulated = None
        return self.sensing

    def _simulated(self, config: AppConfig) -> SimulatedDevices:
        from appliance.simulated import SimulatedDevices
        from appliance.worlds import build_world

        simulation = config.simulation
        assert simulation is not None
        if config.triggers.periodic_s is not None:
            simulation = simulation.model_copy(update={"decision_every_s": config.triggers.periodic_s})
        self.simulated = SimulatedDevices(build_world(simulation), simulation, self.loop, self.clock, give_rewards=not config.feedback)
        return self.simulated

    def _stop_context(self, sensing: bool) -> None:
        """Capture first (if ``sensing``), then the context workers, then the triggers."""
        if sensing and self.sensing is not None:
            self.sensing.stop()
            self.sensing = None
        for worker in self.context_workers:
            worker.retire()
        for worker in self.context_workers:
            worker.join(5.0)
        self.context_workers = []
        if self.triggers is not None:
            self.triggers.stop()
            self.triggers = None

    def _decide(self, context: Features) -> None:
        """A trigger fired: decide from ``context``; returns once the decision is durable."""
        _, ticket = self.loop.decide(context)
        ticket.wait()

    # -- what the API shows ----------------------------------------------------------------------
    def current_context(self) -> Features:
        """The sensors' latest context, the simulated world's latest, or none."""
        if self.sensing is not None:
            return self.sensing.context()
        if self.simulated is not None:
            return dict(self.simulated.last_context)
        return {}

    def stats(self) -> dict[str, Any]:
        context = {"sensing": self.sensing.stats()} if self.sensing is not None else \
            {"simulation": self.simulated.stats()} if self.simulated is not None else {}
        return {**context, "devices": self.devices.stats() if self.devices is not None else None,
                "triggers": self.triggers.stats() if self.triggers is not None else None,
                "observers": self.observers.stats() if self.observers is not None else {},
                "model_source": self.model_updater.stats() if self.model_updater is not None else None,
                "log_sinks": {host.name: host.stats() for host, _ in self.shippers}}
