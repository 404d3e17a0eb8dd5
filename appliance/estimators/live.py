"""The live policy value: an observer of joined events that keeps, with confidence bounds, the value of the
online policy and of its baselines (uniformly random, each constant action, VW candidates learned in the
background from the same events), and saves them in its home so they survive restarts.

>>> from appliance.config.observers import PolicyValueObserverConfig
>>> from appliance.events import EventJoined
>>> from appliance.policy.base import Decision, JoinedEvent
>>> observer = PolicyValueObserver(PolicyValueObserverConfig(interval="gaussian", reward_range=(0, 1)), name="value",
...                                home=ObserverHome(action_features={"on": {}, "off": {}}))
>>> for i, reward in enumerate([1.0, 0.0, 1.0, 1.0]):
...     d = Decision(f"e{i}", "on", 0, 0.5, (0.5, 0.5), ("on", "off"), {}, i, 0.0)
...     observer.handle(EventJoined(JoinedEvent(d, reward, "rewarded", 1, 1.0)))
>>> value = observer.stats()["candidates"]
>>> value["online"]["estimate"], value["always on"]["estimate"], value["always off"]["estimate"]
(0.75, 1.5, 0.0)
>>> observer.close()
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from appliance.config.observers import PolicyValueObserverConfig
from appliance.estimators import EstimatorError
from appliance.estimators.value import PolicyValue
from appliance.evaluation.candidates import Candidate, Constant, Logged, Uniform, VWCandidate
from appliance.evaluation.late import relearned
from appliance.events import EventJoined
from appliance.features import Features
from appliance.observers.base import ObserverHome
from appliance.storage import dsjson
from appliance.storage.atomic import replacing, write_atomically

log = logging.getLogger(__name__)
STATE_VERSION = 1
CHARTED = 120  # points of the dashboard's value chart
HELD = 1024
"""Events valued together, each candidate's in one vectorised pass, sampled ones with their weights (stats and saves value
those held first). numpy's cost per call, not per event, dominates a batch: with 52 candidates (50 declared actions),
batches of 64 cost the observer's thread 150-200 µs of CPU (and of the GIL) per event, batches of 1024 a sixteenth of
that (docs/client-benchmarks.md)."""
ACTION_LISTS = 1024
"""Offered action lists whose features and fixed pmfs are kept, at most (requests may offer any subset of the actions:
past it, both start afresh, so memory stays bounded)."""


class PolicyValueObserver:
    """Values the online policy and its baselines on every joined event (progressive validation: a VW candidate
    is judged on each event before it learns it). A decision learned again with a late reward counts once, with
    the reward it was first joined with (:mod:`appliance.evaluation.late`: a value cannot take back an event)."""

    def __init__(self, config: PolicyValueObserverConfig, name: str = "policy_value", home: ObserverHome | None = None) -> None:
        self.name, self.config = name, config
        home = home or ObserverHome()
        self._directory = home.directory
        self._features = dict(home.action_features)
        self._offered: dict[tuple[str, ...], list[Features]] = {}
        self._fixed: dict[tuple[str, ...], list[Sequence[float] | None]] = {}
        self.candidates: list[Candidate] = [Logged(), Uniform()]
        if config.constant_actions:
            self.candidates += [Constant(action) for action in self._features]
        state = self._load()
        self._fresh: set[str] = set()  # candidates whose saved value is not gone on from (their model was lost)
        self.candidates += [self._vw_candidate(arguments, state) for arguments in config.candidates]
        self.values = {c.name: self._restored(c.name, state) for c in self.candidates}
        self.chart: deque[dict[str, Any]] = deque(state.get("chart", [])[-CHARTED:] if state else [], maxlen=CHARTED)
        self.skipped = self.sampled_out = self._unvalued = 0
        self._keep, self._window, self._rng = 1.0, (time.monotonic(), 0), random.Random()
        self.saved_at: float | None = None
        self._charted_at = self._saved_at = time.monotonic()
        self._summaries: dict[str, tuple[float, dict[str, Any]]] = {}  # each candidate's last summary, and when
        self._closed = False
        self._held: list[tuple[float, float, float, int, list[float]]] = []  # events not valued yet (HELD at most)
        self._lock = threading.RLock()  # stats() and save() come from other threads: they value what is held first

    # -- the loop's events -----------------------------------------------------------------------
    def events(self) -> tuple[type, ...]:
        return (EventJoined,)

    def handle(self, event: EventJoined) -> None:
        joined = event.event
        d = joined.decision
        if relearned(joined) or d.probability <= 0.0:
            self.skipped += 1
            return
        now = time.monotonic()
        if not self._sampled(now):
            return
        logged = dsjson.Logged(joined, self._action_features(d.actions))
        chosen, p_drop, n_drop = d.action_index, 1.0 - self._keep, self._unvalued
        fixed = self._fixed_pmfs(logged)
        preds = [pmf[chosen] if pmf is not None else candidate.step(logged)[chosen]  # now: a VW candidate learns the event
                 for candidate, pmf in zip(self.candidates, fixed)]
        with self._lock:
            self._held.append((d.probability, joined.reward, p_drop, n_drop, preds))  # it stands for n_drop sampled out too
            if len(self._held) >= HELD:
                self._value_held()
            self._unvalued = 0
            if now - self._charted_at >= self.config.chart_every_s:
                self._charted_at = now
                self._value_held()
                self.chart.append({"t": round(time.time(), 1), **{n: self._band(n, now, fresh=True) for n in self._charted()}})
            if now - self._saved_at >= self.config.save_every_s:
                self.save()

    def _value_held(self) -> None:
        """Value the events held (under the lock): for each candidate, the batch in one vectorised pass."""
        if not self._held:
            return
        p_log, rewards, p_drop, n_drop, preds = (np.array(column, dtype=float) for column in zip(*self._held))
        self._held = []
        drops = (p_drop, n_drop) if p_drop.any() or n_drop.any() else ()  # none: the cheaper pass without them
        for candidate, p_pred in zip(self.candidates, preds.T):
            self.values[candidate.name].add_examples(p_log, rewards, p_pred, *drops)

    def _sampled(self, now: float) -> bool:
        """Whether this event is valued: all are while they arrive slower than ``max_events_per_s``; above, each
        with the chance that keeps the rate (set from the arrivals of the last tenth of a second, or fewer once a tenth
        of the rate has arrived; never from the rewards). The ones not valued are counted into the next valued event
        (``n_drop``)."""
        elapsed = now - self._window[0]
        if elapsed >= 0.1 or (self._window[1] >= self.config.max_events_per_s / 10 and elapsed > 0):
            self._keep = min(1.0, self.config.max_events_per_s * elapsed / self._window[1]) if self._window[1] else 1.0
            self._window = (now, 0)
        self._window = (self._window[0], self._window[1] + 1)
        if self._keep < 1.0 and self._rng.random() >= self._keep:
            self._unvalued += 1
            self.sampled_out += 1
            return False
        return True

    def _fixed_pmfs(self, logged: dsjson.Logged) -> list[Sequence[float] | None]:
        """Each candidate's pmf when it depends on the offered actions alone (random, a constant action), made once per
        tuple of actions; ``None`` for the others (the online policy's logged pmf, a VW candidate's step)."""
        actions = logged.event.decision.actions
        pmfs = self._fixed.get(actions)
        if pmfs is None:
            if len(self._fixed) >= ACTION_LISTS:
                self._fixed.clear()
            pmfs = self._fixed[actions] = [c.step(logged) if isinstance(c, (Uniform, Constant)) else None for c in self.candidates]
        return pmfs

    def _action_features(self, actions: tuple[str, ...]) -> list[Features]:
        """The features of ``actions`` (an action the config no longer declares has none); the same list object
        for the same actions, so a VW candidate declares them once."""
        features = self._offered.get(actions)
        if features is None:
            if len(self._offered) >= ACTION_LISTS:
                self._offered.clear()
            features = self._offered[actions] = [self._features.get(a, {}) for a in actions]
        return features

    # -- what it shows ---------------------------------------------------------------------------
    def _summary(self, name: str, now: float, fresh: bool = False) -> dict[str, Any] | None:
        """Candidate ``name``'s summary (``None`` before its first event): the one made at most ``chart_every_s``
        ago, else (or ``fresh``: a chart point's) a new one. An interval's cost grows
        with the events valued (a confidence sequence over weeks of events: tenths of a second for all candidates),
        and the daemon reads the values every second for the dashboard's stream and at every /api/status."""
        value = self.values[name]
        if not value.events:
            return None
        made = self._summaries.get(name)
        if fresh or made is None or now - made[0] >= self.config.chart_every_s:
            made = self._summaries[name] = (now, value.summary(self.config.alpha))
        return made[1]

    def _band(self, name: str, now: float, fresh: bool = False) -> list[float] | None:
        """[estimate, lower, upper] of candidate ``name`` (``None`` before its first event)."""
        summary = self._summary(name, now, fresh)
        return self._band_of(summary) if summary is not None else None

    def _band_of(self, summary: dict[str, Any]) -> list[float]:
        """[estimate, lower, upper] of a candidate's summary."""
        low, high = summary["intervals"][self.config.interval]
        return [round(summary["estimates"][self.config.estimators[0]], 6), round(low, 6), round(high, 6)]

    def _charted(self) -> dict[str, PolicyValue]:
        """The candidates the chart draws: the online policy, random, and the VW candidates."""
        return {c.name: self.values[c.name] for c in self.candidates if not isinstance(c, Constant)}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            self._value_held()
            return self._stats()

    def _stats(self) -> dict[str, Any]:
        now = time.monotonic()
        summaries = {name: summary for name in self.values if (summary := self._summary(name, now)) is not None}
        bands = {name: self._band_of(summary) for name, summary in summaries.items()}
        online = bands.get("online")
        candidates = {}
        for name, value in self.values.items():
            band, summary = bands.get(name), summaries.get(name)
            verdict = None if band is None or online is None or name == "online" else \
                "better" if band[1] > online[2] else "worse" if band[2] < online[1] else "undecided"
            candidates[name] = {"events": value.events, "estimate": band[0] if band else None,
                                "interval": band[1:] if band else None, "verdict": verdict,
                                "estimates": summary["estimates"] if summary else {}}
        return {"type": "policy_value", "interval": self.config.interval, "confidence": 1 - self.config.alpha,
                "estimator": self.config.estimators[0], "skipped": self.skipped,
                "sampled_out": self.sampled_out, "keep": round(self._keep, 4), "saved_at": self.saved_at,
                "candidates": candidates, "chart": list(self.chart)}

    # -- persistence -----------------------------------------------------------------------------
    def _vw_candidate(self, arguments: str, state: dict[str, Any] | None) -> VWCandidate:
        """The candidate of ``arguments``, going on from its saved model (if it cannot, its value starts again too)."""
        model = self._model_path(arguments)
        if model is not None and state is not None and model.exists():
            try:
                return VWCandidate(arguments, model=model)
            except Exception as err:  # a torn or foreign file: start again, say so
                log.error("%s: the saved model of candidate %r cannot be read (%s); it starts again", self.name, arguments, err)
        self._fresh.add(VWCandidate.name_of(arguments))
        return VWCandidate(arguments)

    def _model_path(self, arguments: str) -> Path | None:
        digest = hashlib.sha256(arguments.encode()).hexdigest()[:16]
        return self._directory / f"candidate-{digest}.vw" if self._directory is not None else None

    def _restored(self, name: str, state: dict[str, Any] | None) -> PolicyValue:
        fresh = PolicyValue(self.config.estimators, (self.config.interval,), *(self.config.reward_range or (0.0, 1.0)),
                            empirical_r_bounds=self.config.reward_range is None)
        saved = (state or {}).get("values", {}).get(name)
        if saved is None or name in self._fresh:
            return fresh
        try:
            return PolicyValue.from_state(saved)
        except (EstimatorError, KeyError, TypeError, ValueError) as err:
            log.error("%s: the saved value of %r cannot be restored (%s); it starts again", self.name, name, err)
            return fresh

    def _setup(self) -> dict[str, Any]:
        """What saved values must have been kept with to go on from them."""
        return {"estimators": self.config.estimators, "interval": self.config.interval,
                "reward_range": list(self.config.reward_range) if self.config.reward_range else None}

    def _load(self) -> dict[str, Any] | None:
        if self._directory is None or not (self._directory / "state.json").exists():
            return None
        path = self._directory / "state.json"
        try:
            state: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            log.error("%s: %s cannot be read (%s); the estimates start again", self.name, path, err)
            return None
        if state.get("version") != STATE_VERSION:
            log.warning("%s: %s has version %s, not %s; the estimates start again", self.name, path, state.get("version"), STATE_VERSION)
            return None
        if state.get("setup") != self._setup():
            log.warning("%s: estimators, interval or reward range changed since %s was saved; the estimates start again", self.name, path)
            return None
        return state

    def save(self) -> None:
        """Write the values, the chart and the VW candidates' models (each file atomically; models first)."""
        with self._lock:
            self._value_held()
        self._saved_at = time.monotonic()
        if self._directory is None:
            return
        self._directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept = set()
        for candidate in self.candidates:
            if isinstance(candidate, VWCandidate):
                path = self._model_path(candidate.arguments)
                assert path is not None
                with replacing(path) as temp:
                    candidate.workspace().save(str(temp))
                kept.add(path.name)
        for stale in self._directory.glob("candidate-*.vw"):  # of candidates no longer configured
            if stale.name not in kept:
                stale.unlink(missing_ok=True)
        state = {"version": STATE_VERSION, "setup": self._setup(), "chart": list(self.chart),
                 "values": {name: value.state() for name, value in self.values.items()}}
        write_atomically(self._directory / "state.json", json.dumps(state).encode())
        self.saved_at = round(time.time(), 3)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.save()
        except OSError as err:
            log.error("%s: the estimates could not be saved (%s)", self.name, err)
        for candidate in self.candidates:
            if isinstance(candidate, VWCandidate):
                candidate.workspace().finish()

