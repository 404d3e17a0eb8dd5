"""Live plots of a running daemon or a simulation in a notebook (TensorWatch's role): the reward with its confidence
band against random's, the actions' shares and the latest decisions, refreshed as the events come.

The events come from the API's stream (:mod:`.stream`, with the access token) or, for a simulation in the notebook's
own process, from its loop's bus; both give the stream's items (``decision``, ``joined``, ``stats``), which a
:class:`LiveState` (pure) digests with the same :class:`~appliance.watch.signals.Signals` the TensorBoard observer
uses. :class:`LiveView` shows it with ipywidgets (the ``notebook`` extra).

>>> state = LiveState()
>>> for i in range(40):
...     pmf = {"warm": 0.8, "cool": 0.2}
...     state.add("decision", {"event_id": f"e{i}", "action": "warm", "action_index": 0, "probability": 0.8, "pmf": pmf})
...     state.add("joined", {"event_id": f"e{i}", "action": "warm", "action_index": 0, "probability": 0.8, "pmf": pmf,
...                          "model_version": i, "timestamp": 0.0, "reward": float(i % 2), "outcome": "on_time", "joined_at": 1.0})
>>> point = state.point()
>>> point.step, point.reward, point.lower < 0.5 < point.upper, round(point.random, 3)
(40, 0.5, True, 0.312)
>>> state.decisions[0]["event_id"], state.decisions[0]["reward"], dict(state.shares())
('e39', 1.0, {'warm': 40})
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

from appliance.bus import EventBus, Subscription
from appliance.policy.base import Decision, JoinedEvent
from appliance.watch.plots import Point, decisions_table, reward_chart, share_bars
from appliance.watch.signals import Signals


class LiveState:
    """What the view shows. Items may come from another thread: one lock guards the state."""

    def __init__(self, keep_decisions: int = 12, share_window: int = 500, max_points: int = 400) -> None:
        self.signals = Signals()
        self.curve: deque[Point] = deque(maxlen=max_points)
        self.decisions: deque[dict[str, Any]] = deque(maxlen=keep_decisions)
        self._recent_actions: deque[str] = deque(maxlen=share_window)
        self.stats: dict[str, Any] = {}
        self.seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def add(self, kind: str, data: dict[str, Any]) -> None:
        """One item of the stream."""
        with self._lock:
            self.seen[kind] += 1
            if kind == "decision":
                self.decisions.appendleft({**data, "reward": None})
                self._recent_actions.append(data["action"])
            elif kind == "joined":
                pmf = data["pmf"]
                decision = Decision(data["event_id"], data["action"], data["action_index"], data["probability"],
                                    tuple(pmf.values()), tuple(pmf), {}, data.get("model_version", 0), data.get("timestamp", 0.0))
                self.signals.add(JoinedEvent(decision, data["reward"], data.get("outcome", "on_time"), 1, data.get("joined_at", 0.0)))
                for row in self.decisions:
                    if row["event_id"] == data["event_id"]:
                        row["reward"] = data["reward"]
            elif kind == "stats":
                self.stats = data

    def point(self) -> Point | None:
        """A new point of the curve (``None`` until an event has joined, or when none joined since the last one)."""
        with self._lock:
            if not self.signals.seen or (self.curve and self.curve[-1].step == self.signals.seen):
                return None
            s = self.signals.scalars()
            point = Point(self.signals.events, s["reward/progressive"], s.get("value/online_lower", 0.0),
                          s.get("value/online_upper", 1.0), s["baseline/random"])
            self.curve.append(point)
            return point

    def shares(self) -> Counter[str]:
        """How often each action was chosen among the recent decisions."""
        with self._lock:
            return Counter(self._recent_actions)


class LiveView:
    """The live plots as an ipywidgets box: display it, then :meth:`watch` (or :meth:`refresh` after each stretch)."""

    def __init__(self, state: LiveState | None = None) -> None:
        import ipywidgets as widgets

        self.state = state or LiveState()
        self.chart, self.bars, self.table, self.status = widgets.HTML(), widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.widget = widgets.VBox([self.status, self.chart, widgets.HTML("<b>action shares (recent decisions)</b>"), self.bars,
                                    widgets.HTML("<b>latest decisions</b>"), self.table])
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: tuple[EventBus, Subscription] | None = None
        self.error: str | None = None
        self.refresh()

    @classmethod
    def of_daemon(cls, url: str, token: str) -> LiveView:
        """Follow ``wabbit run`` at ``url`` (e.g. ``http://127.0.0.1:8080``) through its event stream."""
        from appliance.watch.stream import follow

        view = cls()

        def read() -> None:
            try:
                follow(url, token, view.state.add, view._stop)
            except Exception as err:  # shown in the view: a notebook user reads it there
                view.error = str(err)
                return
            if not view._stop.is_set():
                view.error = (f"the stream of {url} ended (the daemon stopped or restarted): nothing more will come; "
                              "follow it again with LiveView.of_daemon")

        view._thread = threading.Thread(target=read, name="live-view", daemon=True)
        view._thread.start()
        return view

    @classmethod
    def of_bus(cls, bus: EventBus) -> LiveView:
        """Follow a loop in this process (a :class:`~appliance.simulate.Simulation`'s ``loop.bus``)."""
        from appliance.events import DecisionMade, EventJoined
        from appliance.server.hub import stream_item

        view = cls()
        subscription = bus.subscribe("live-view", lambda event: view.state.add(*stream_item(event)), (DecisionMade, EventJoined),
                                     max_queue=1 << 16)
        view._subscription = (bus, subscription)
        return view

    def refresh(self) -> None:
        """Draw what has come so far."""
        state = self.state
        state.point()
        self.chart.value = reward_chart(list(state.curve))
        self.bars.value = share_bars(state.shares())
        self.table.value = decisions_table(list(state.decisions))
        model = state.stats.get("loop", {}).get("model_version", "-")
        self.status.value = (f"<b>{state.seen['decision']}</b> decisions, <b>{state.signals.seen}</b> joined, model version "
                             f"{model}" + (f' <span style="color:#c62828">{self.error}</span>' if self.error else ""))

    def watch(self, seconds: float, every_s: float = 0.5) -> None:
        """Refresh every ``every_s`` for ``seconds`` (the cell runs meanwhile; the plots move)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.error is None:
            time.sleep(min(every_s, max(deadline - time.monotonic(), 0.0)))
            self.refresh()

    def stop(self) -> None:
        """Stop following (the stream's reader ends at its next event)."""
        self._stop.set()
        if self._subscription is not None:
            bus, subscription = self._subscription
            bus.unsubscribe(subscription)
            self._subscription = None
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
