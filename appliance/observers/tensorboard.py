"""The ``tensorboard`` observer: TensorBoard logs of the loop, written on a bounded schedule.

It takes the joined events (the signals of :mod:`appliance.watch.signals`), the stats snapshots (a clock for the
schedule when no event comes) and, with ``latency: true``, the decisions (how long each took to become durable and
reach the observers, on the daemon's wall clock: what an actuator waits). Every ``every_events`` joined events
(never sooner than ``min_interval_s`` after the last write) or every ``every_s`` seconds it writes the scalars,
the exploration the policy's options imply (epsilon, or SquareCB's gamma), and every ``histogram_every`` events a
histogram of the model's weights (:mod:`appliance.introspect.weights`, read under the policy's lock). When it
closes (the end of a run, a stop of the daemon) it writes the hyperparameters with the final metrics
(``add_hparams``), so TensorBoard's HParams view compares runs.

The writer opens at the first write: an observer that saw nothing leaves nothing behind.

>>> import tempfile
>>> from pathlib import Path
>>> from appliance.config.tensorboard import TensorBoardObserverConfig
>>> from appliance.events import EventJoined
>>> from appliance.policy import JoinedEvent, UniformPolicy
>>> policy, logdir = UniformPolicy.of(["on", "off"]), Path(tempfile.mkdtemp())
>>> config = TensorBoardObserverConfig(logdir=logdir, run="demo", every_events=10, min_interval_s=0, format="jsonl")
>>> observer = TensorBoardObserver(config, home=ObserverHome(policy=policy))
>>> for i in range(25): observer.handle(EventJoined(JoinedEvent(policy.decide({}, f"e{i}", 0.0), 1.0, "on_time", 1, 0.0)))
>>> observer.close()
>>> lines = (logdir / "demo" / "scalars.jsonl").read_text().splitlines()
>>> len(lines), observer.stats()["writes"], '"hparams": {"policy": "uniform"}' in lines[-1]
(4, 3, True)
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Mapping

import numpy as np

from appliance.config.tensorboard import TensorBoardObserverConfig
from appliance.errors import UsageError
from appliance.events import DecisionMade, EventJoined, StatsTaken
from appliance.observers.base import ObserverHome
from appliance.watch.hparams import exploration_scalars, policy_hparams
from appliance.watch.signals import Signals
from appliance.watch.writers import open_writer
from appliance.watch.writers.base import HParam, RunWriter, fresh_run, have_tensorboardx

log = logging.getLogger(__name__)


class TensorBoardObserver:
    """``home``: its directory (where the runs go unless ``logdir`` says) and the loop's policy (its options are the
    hyperparameters, unless ``hparams_of_policy`` is false; its weights the histogram); ``hparams``: more of them (a CLI
    run's world, seed, a sweep's settings); ``extras``: more scalars, asked at each write (a simulation's oracle)."""

    def __init__(self, config: TensorBoardObserverConfig, name: str = "tensorboard", home: ObserverHome | None = None,
                 hparams: Mapping[str, HParam] | None = None, hparams_of_policy: bool = True,
                 extras: Callable[[], Mapping[str, float]] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if config.format == "tensorboard" and not have_tensorboardx():
            raise UsageError("observers: type tensorboard with format: tensorboard needs tensorboardX: pip install -e "
                             "'.[tensorboard]' (or format: auto, which writes JSON lines without it)")
        home = home or ObserverHome()
        policy = home.policy
        self.name, self.config, self._policy, self._extras, self._clock = name, config, policy, extras, clock
        self.hparams = {**(policy_hparams(policy) if policy is not None and hparams_of_policy else {}), **(hparams or {})}
        self._exploration = policy_hparams(policy) if policy is not None else {}  # what explore/epsilon or gamma follow
        root = config.logdir or home.directory
        self.directory = None if root is None else root / (config.run or fresh_run(root, time.strftime("%Y%m%d-%H%M%S")))
        self.signals = Signals(config.window, config.alpha)
        self._step0 = int(getattr(policy, "model_version", 0) or 0)
        self._writer: RunWriter | None = None
        self._since = 0
        self._last_write = clock()
        self._last_histogram = 0
        self._waits: list[float] = []
        self.writes = 0
        self.error: str | None = None
        self._closed = False

    def events(self) -> tuple[type, ...]:
        return (EventJoined, StatsTaken, DecisionMade) if self.config.latency else (EventJoined, StatsTaken)

    def handle(self, event: Any) -> None:
        kind = type(event)
        if kind is EventJoined:
            self.signals.add(event.event)
            self._since += 1
            if self._since < self.config.every_events and self._since % 256:
                return  # the clock is read on a stats snapshot (every second in the daemon) or every 256 events
        elif kind is DecisionMade:
            if len(self._waits) < 100_000:
                self._waits.append(time.time() - event.decision.timestamp)
            return
        if self._since:
            config, elapsed = self.config, self._clock() - self._last_write
            if elapsed >= config.every_s or (self._since >= config.every_events and elapsed >= config.min_interval_s):
                self.write()

    @property
    def step(self) -> int:
        """Events joined (counted from the policy's model version when the observer started)."""
        return self._step0 + self.signals.seen

    def write(self) -> None:
        """Write every signal now, then flush (one write to the disk)."""
        writer = self._open()
        self._since, self._last_write = 0, self._clock()
        if writer is None:
            return
        step = self.step
        scalars = {**self.signals.scalars(), **exploration_scalars(self._exploration, step), **self._wait_scalars(),
                   **(self._extras() if self._extras is not None else {})}
        writer.scalars(step, scalars)
        if self.config.histogram_every and step - self._last_histogram >= self.config.histogram_every:
            self._histogram(writer, step)
        writer.flush()
        self.writes += 1

    def _histogram(self, writer: RunWriter, step: int) -> None:
        """The model's weights (read under the policy's lock) as a histogram, and how many are not zero."""
        self._last_histogram = step
        read = getattr(self._policy, "with_workspace", None)
        if read is None:
            return  # a policy without a VW model
        from appliance.introspect.weights import nonzero_weights

        weights: np.ndarray = read(lambda workspace: nonzero_weights(workspace)[1])
        writer.histogram(step, "model/weights", weights)
        writer.scalars(step, {"model/nonzero_weights": float(len(weights))})

    def _wait_scalars(self) -> dict[str, float]:
        waits, self._waits = self._waits, []
        if not waits:
            return {}
        return {"latency/decision_ms": 1000 * sum(waits) / len(waits), "latency/decision_ms_max": 1000 * max(waits)}

    def _open(self) -> RunWriter | None:
        if self._writer is None and self.error is None:
            if self.directory is None:
                self.error = "no folder for the TensorBoard logs: set observers[].logdir (the daemon gives DATA_DIR/observers/<name>)"
                log.error("observer %s: %s", self.name, self.error)
                return None
            try:
                self._writer = open_writer(self.directory, self.config.format)
            except OSError as err:
                self.error = f"cannot write TensorBoard logs to {self.directory}: {err}; set observers[].logdir to a writable folder"
                log.error("observer %s: %s", self.name, self.error)
        return self._writer

    def close(self) -> None:
        """The last scalars, then the hyperparameters with the final metrics; idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._since:
            self.write()
        if self._writer is not None:
            if self.config.histogram_every and self.step > self._last_histogram:
                self._histogram(self._writer, self.step)  # the model as the run ends
            extras = self._extras() if self._extras is not None else {}
            metrics = {**self.signals.final(), **{"final/" + tag.replace("/", "_"): v for tag, v in extras.items()}}
            self._writer.hparams(self.step, self.hparams, metrics)
            self._writer.close()

    def stats(self) -> dict[str, Any]:
        return {"type": "tensorboard", "run": str(self.directory) if self.directory else None, "writes": self.writes,
                "events": self.step - self._step0, "error": self.error}

