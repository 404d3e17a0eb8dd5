"""TensorBoard runs of the command line: ``wabbit simulate``, ``replay`` and ``evaluate --tensorboard DIR``.

A simulation's observer listens on its loop's bus, as the daemon's does; a replay or an evaluation has no loop, so
its observer is handed each event in turn. A CLI run writes about a hundred points whatever its length, a histogram
of the weights every fifth, and its hyperparameters with the final metrics at the end.

>>> import tempfile
>>> logdir = Path(tempfile.mkdtemp())
>>> config = AppConfig.model_validate({"simulation": {"world": "linear", "seed": 3}})
>>> result = simulate_watched(config, 300, logdir / "log", logdir, "sim", {"world": "linear"})
>>> result["learned"], Path(result["tensorboard"]).name, result["tensorboard_writes"] >= 2
(300, 'sim', True)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from appliance.config import AppConfig
from appliance.config.tensorboard import TensorBoardObserverConfig
from appliance.events import EventJoined
from appliance.watch.writers.base import HParam, fresh_run

if TYPE_CHECKING:
    from appliance.estimators.value import PolicyValue
    from appliance.observers.tensorboard import TensorBoardObserver
    from appliance.storage.dsjson import Logged

STRETCH = 100
"""Decisions a watched simulation runs between refreshes of what it tells the observer."""


def cli_observer(logdir: Path, name: str, events: int | None = None, policy: Any = None, hparams: Mapping[str, HParam] | None = None,
                 extras: Callable[[], Mapping[str, float]] | None = None, hparams_of_policy: bool = True) -> TensorBoardObserver:
    """An observer for a run of ``events`` (unknown: ``None``) in a new folder ``logdir/name`` (``name-2`` if taken)."""
    from appliance.observers.base import ObserverHome
    from appliance.observers.tensorboard import TensorBoardObserver

    name = re.sub(r"[^A-Za-z0-9._=,+-]", "_", name)[:120]  # a run's folder name, from a log's with spaces perhaps
    every = max(200, events // 100) if events else 1000
    config = TensorBoardObserverConfig(logdir=logdir, run=fresh_run(logdir, name), every_events=every, min_interval_s=0.0,
                                       histogram_every=5 * every)
    return TensorBoardObserver(config, name=f"tensorboard-{name}", home=ObserverHome(policy=policy), hparams=hparams,
                               hparams_of_policy=hparams_of_policy, extras=extras)


def simulate_watched(config: AppConfig, events: int, log_dir: Path, logdir: Path, name: str,
                     hparams: Mapping[str, HParam], hparams_of_policy: bool = True) -> dict[str, Any]:
    """``simulate`` with a TensorBoard observer on the loop's bus; the result names the run's folder."""
    from appliance.simulate import Simulation

    simulation = Simulation(config, log_dir)
    observer = cli_observer(logdir, name, events, simulation.loop.policy, hparams, simulation.progress, hparams_of_policy)
    bus = simulation.loop.bus
    subscription = bus.subscribe(observer.name, observer.handle, observer.events(), 1 << 16, observer.config.linger_s)
    try:
        for start in range(0, events, STRETCH):
            simulation.run(min(STRETCH, events - start))
        result = simulation.finish()
    finally:
        bus.unsubscribe(subscription, timeout=60.0)
        observer.close()
    return {**result, "tensorboard": str(observer.directory), "tensorboard_writes": observer.writes,
            "tensorboard_dropped": subscription.dropped}


class CandidateWatch:
    """``wabbit evaluate --tensorboard``: the logged policy's signals, and every candidate's value (the first estimator)
    with its bounds (the first interval) as ``candidates/<name>``, ``..._lower``, ``..._upper``."""

    def __init__(self, logdir: Path, name: str, estimator: str, interval: str | None, alpha: float,
                 hparams: Mapping[str, HParam]) -> None:
        self.estimator, self.interval, self.alpha = estimator, interval, alpha
        self._values: Mapping[str, PolicyValue] = {}
        self.observer = cli_observer(logdir, name, None, None, hparams, self.scalars)

    def __call__(self, logged: Logged, values: Mapping[str, PolicyValue]) -> None:
        self._values = values
        self.observer.handle(EventJoined(logged.event))

    def scalars(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for name, value in self._values.items():
            tag = "candidates/" + re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
            estimate = value.estimators[self.estimator].get()  # type: ignore[attr-defined]
            if estimate is not None:
                found[tag] = float(estimate)
            if self.interval is not None:
                lower, upper = value.intervals[self.interval].get(self.alpha)  # type: ignore[attr-defined]
                if lower is not None and upper is not None:
                    found.update({f"{tag}_lower": float(lower), f"{tag}_upper": float(upper)})
        return found

    def close(self) -> None:
        self.observer.close()
