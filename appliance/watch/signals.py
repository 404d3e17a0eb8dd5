"""What a watched run shows, accumulated from joined events: contextual-bandit signals, not only a loss.

Each joined event carries its decision (context, offered actions, pmf, chosen action, probability), so the same
signals come from the live loop, a simulation, a replayed log or an evaluated one:

- reward: progressive (every event so far) and recent (the newest ``window`` events);
- value: the online policy's value with an off-policy confidence sequence (valid whenever you look), and the
  greedy policy's (each pmf's most likely action, ties shared) by IPS, from :mod:`appliance.estimators`;
- baselines: uniform random and each constant action (over the events that offer it), by IPS;
- over the events since the last read: the largest probability, the pmf's entropy (nats), the share of choices
  that were not the most likely action, action shares, features per event (a sample of up to 256) and the share
  joined with the default reward; VW's average loss as ``--cb_explore_adf`` defines it (the IPS estimate of the
  pmf's own cost: minus the progressive reward; VW's own counter when each decision is learned before the next,
  see docs/tensorboard.md).

Events are only queued by :meth:`Signals.add`; they are digested in batches, vectorised (about 1 µs an event), so
watching costs the loop little.

>>> import random
>>> from appliance.policy.base import Decision, JoinedEvent
>>> rng, signals = random.Random(1), Signals(window=100)
>>> for i in range(400):
...     pmf = (0.85, 0.05, 0.05, 0.05)
...     k = rng.choices(range(4), weights=pmf)[0]
...     d = Decision(f"e{i}", "abcd"[k], k, pmf[k], pmf, tuple("abcd"), {"room": {"dark": 1.0}}, i, 0.0)
...     signals.add(JoinedEvent(d, float(rng.random() < (0.8 if k == 0 else 0.2)), "on_time", 1, 0.0))
>>> s = signals.scalars()
>>> round(s["reward/progressive"], 3), round(s["baseline/random"], 3), round(s["value/greedy"], 3)  # true: 0.71, 0.35, 0.8
(0.703, 0.36, 0.788)
>>> s["value/online_lower"] < s["value/online"] < s["value/online_upper"], round(s["actions/a"], 3)
(True, 0.85)
>>> round(s["explore/max_probability"], 2), round(s["explore/entropy"], 3), s["features/per_event"]
(0.85, 0.588, 1.0)
>>> signals.scalars()["events/since_last"]  # the interval's counters start again after each read
0.0
"""

from __future__ import annotations

from collections import Counter, deque
from itertools import chain, islice
from typing import Any

import numpy as np

from appliance.estimators import IPS, ConfidenceSequence
from appliance.policy.base import JoinedEvent

BATCH = 4096
"""Events queued before they are digested (also when read)."""
FEATURE_SAMPLE = 256
"""Events of an interval whose features are counted."""
PRECISION = 1e-6
"""How close to the exact bounds of the online value (as a share of the reward range) a chart's need to be: found
to the last bit, they would cost a write most of its time."""


class Signals:
    """Not thread-safe: one thread adds and reads (the observer's)."""

    def __init__(self, window: int = 1000, alpha: float = 0.05) -> None:
        self.alpha = alpha
        self.events = 0
        self.reward_sum = 0.0
        self._pending: list[JoinedEvent] = []
        self._recent: deque[float] = deque(maxlen=window)
        self.online = ConfidenceSequence(rmin=0.0, rmax=1.0, empirical_r_bounds=True)
        self.greedy, self.random = IPS(), IPS()
        self._chosen: dict[str, IPS] = {}  # each constant action, fed the events that chose it
        self._offered: Counter[tuple[str, ...]] = Counter()  # the others count as zeros for it, added when read
        self._codes: dict[str, int] = {}  # action -> 1 + its index in _names
        self._names: list[str] = []
        self._fresh()

    def _fresh(self) -> None:
        """The counters of the interval since the last read."""
        self._n = self._features_seen = 0
        self._reward = self._max_p = self._entropy = self._explored = self._features = self._defaulted = 0.0
        self._shares: Counter[str] = Counter()

    @property
    def seen(self) -> int:
        """Events added so far (digested or not)."""
        return self.events + len(self._pending)

    def add(self, event: JoinedEvent) -> None:
        self._pending.append(event)
        if len(self._pending) >= BATCH:
            self._digest()

    def _digest(self) -> None:
        batch, self._pending = self._pending, []
        n = len(batch)
        if not n:
            return
        decisions = [e.decision for e in batch]
        r = np.fromiter((e.reward for e in batch), np.float64, n)
        p = np.fromiter((d.probability for d in decisions), np.float64, n)
        pmfs = [d.pmf for d in decisions]
        sizes = np.fromiter(map(len, pmfs), np.intp, n)
        flat = np.fromiter(chain.from_iterable(pmfs), np.float64, int(sizes.sum()))
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        top = np.maximum.reduceat(flat, starts)
        ties = np.add.reduceat(flat == np.repeat(top, sizes), starts)
        greedy = np.where(p == top, 1.0 / ties, 0.0)  # the greedy policy's probability of the chosen action
        logs = np.log(flat, out=np.zeros_like(flat), where=flat > 0.0)
        self.online.add_examples(p, r, p)
        self._add_mean(self.greedy, greedy * r / p)
        self._add_mean(self.random, r / (p * sizes))
        codes, names = self._codes, self._names
        chosen = np.fromiter((codes.get(d.action) or _code(codes, names, d.action) for d in decisions), np.intp, n) - 1
        counts = np.bincount(chosen, minlength=len(names))
        sums = np.bincount(chosen, weights=r / p, minlength=len(names))
        for code in np.flatnonzero(counts):
            self._chosen.setdefault(names[code], IPS()).add_example(1.0, float(sums[code] / counts[code]), 1.0, count=int(counts[code]))
        self._offered.update(d.actions for d in decisions)
        self.events += n
        self.reward_sum += float(r.sum())
        self._recent.extend(r.tolist())
        self._n += n
        self._reward += float(r.sum())
        self._max_p += float(top.sum())
        self._entropy -= float((flat * logs).sum())
        self._explored += float((p != top).sum())
        self._defaulted += sum(e.outcome == "default" for e in batch)
        self._shares.update({names[code]: int(counts[code]) for code in np.flatnonzero(counts)})
        sample = islice(decisions, max(0, FEATURE_SAMPLE - self._features_seen))
        for d in sample:
            self._features += sum(map(len, d.context.values()))
            self._features_seen += 1

    @staticmethod
    def _add_mean(estimator: IPS, values: np.ndarray) -> None:
        """A batch of an IPS estimator's per-event values as one example standing for them all (exact for a mean)."""
        if len(values):
            estimator.add_example(1.0, float(values.mean()), 1.0, count=len(values))

    def constants(self) -> dict[str, float]:
        """Each constant action's IPS value over the events that offered it."""
        self._digest()
        offered: Counter[str] = Counter()
        for actions, count in self._offered.items():
            offered.update(dict.fromkeys(actions, count))
        return {action: (self._chosen[action].total if action in self._chosen else 0.0) / count for action, count in offered.items()}

    def scalars(self) -> dict[str, float]:
        """Every signal now (tags as TensorBoard shows them); the interval's counters start again."""
        self._digest()
        out: dict[str, float] = {"events/joined": float(self.events), "events/since_last": float(self._n)}
        if self.events:
            lower, upper = self.online.get(self.alpha, PRECISION)
            constants = self.constants()
            out.update({
                "reward/progressive": self.reward_sum / self.events, "reward/recent": sum(self._recent) / len(self._recent),
                "value/online": self.reward_sum / self.events, "value/greedy": _number(self.greedy.get()),
                "baseline/random": _number(self.random.get()), "baseline/best_constant": max(constants.values()),
                "vw/average_loss": -self.reward_sum / self.events,
                **({"value/online_lower": lower, "value/online_upper": upper} if lower is not None and upper is not None else {}),
                **{f"baseline/always_{a}": v for a, v in constants.items()},
            })
        if self._n:
            n = self._n
            out.update({
                "reward/since_last": self._reward / n, "vw/loss_since_last": -self._reward / n,
                "explore/max_probability": self._max_p / n, "explore/entropy": self._entropy / n,
                "explore/exploratory_share": self._explored / n, "features/per_event": self._features / max(self._features_seen, 1),
                "join/default_share": self._defaulted / n, **{f"actions/{a}": c / n for a, c in self._shares.items()},
            })
        self._fresh()
        return out

    def final(self) -> dict[str, Any]:
        """The run's final metrics, for the hyperparameters view (names apart from the scalars' tags)."""
        self._digest()
        if not self.events:
            return {}
        lower, upper = self.online.get(self.alpha)
        random_value = _number(self.random.get())
        reward = self.reward_sum / self.events
        return {"final/reward": reward, "final/reward_recent": sum(self._recent) / len(self._recent),
                "final/value_lower": _number(lower), "final/value_upper": _number(upper),
                "final/greedy": _number(self.greedy.get()), "final/random": random_value,
                "final/best_constant": max(self.constants().values()), "final/lift_over_random": reward - random_value,
                "final/events": float(self.events)}


def _code(codes: dict[str, int], names: list[str], action: str) -> int:
    """A new action's code (1 + its index in ``names``)."""
    names.append(action)
    codes[action] = len(names)
    return len(names)


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)
