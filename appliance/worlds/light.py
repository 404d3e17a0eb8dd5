"""``light``: a lamp picks one of 4 colours from ambient sound, brightness and time of day; a simulated
person presses a button (reward 1) when the colour suits them.

How much a colour suits is linear in the features the appliance sees, so the best colour is known for every
context: a base preference per part of the day, loud rooms favour red, dark rooms favour warm light.

>>> world = LightWorld(seed=1)
>>> ctx = world.context(0)
>>> sorted(ctx)
['audio', 'time', 'video']
>>> expected = world.expected_rewards({"time": {"h20": 1.0}, "audio": {"level": 0.9}, "video": {"brightness": 0.1}}, 0)
>>> dict(zip(COLOURS, [round(p, 4) for p in expected]))
{'warm': 0.49, 'cool': 0.22, 'red': 0.76, 'blue': 0.31}
"""

from __future__ import annotations

import random
from typing import Iterator

import numpy as np

from appliance.config.policy import ActionConfig
from appliance.datagen.ahead import DrawnAhead
from appliance.features import Features

COLOURS = ("warm", "cool", "red", "blue")
_BASE = {  # part of the day -> liking of each colour
    "morning": (0.3, 0.7, 0.2, 0.4),
    "day": (0.2, 0.4, 0.3, 0.6),
    "evening": (0.6, 0.2, 0.4, 0.3),
    "night": (0.5, 0.1, 0.3, 0.2),
}
_LOUD = (-0.1, 0.0, 0.4, 0.0)  # per unit of sound level
_BRIGHT = (-0.2, 0.2, 0.0, 0.1)  # per unit of brightness


def part_of_day(hour: int) -> str:
    """The part of the day an hour belongs to.

    >>> [part_of_day(h) for h in (7, 12, 19, 2)]
    ['morning', 'day', 'evening', 'night']
    """
    return "morning" if 6 <= hour < 11 else "day" if 11 <= hour < 17 else "evening" if 17 <= hour < 22 else "night"


_HOURS = tuple(f"h{hour}" for hour in range(24))  # the time feature of each hour
# each hour's feature -> per colour (base liking, per unit of sound level, per unit of brightness)
_LIKING = {_HOURS[hour]: tuple(zip(_BASE[part_of_day(hour)], _LOUD, _BRIGHT)) for hour in range(24)}
_MEAN_BRIGHTNESS = np.array([0.8 if 8 <= hour < 18 else 0.15 for hour in range(24)])  # daylight
_MEAN_LEVEL = np.array([0.5 if 18 <= hour < 24 else 0.15 for hour in range(24)])  # loud evenings


class LightWorld:
    name = "light"

    def __init__(self, seed: int = 0) -> None:
        self._rng = np.random.default_rng(seed)
        self._drawn = DrawnAhead(self._draw)
        self._actions = [ActionConfig(id=c, features={"colour": {c: 1.0}}) for c in COLOURS]

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return ["audio", "video", "time"]

    def _draw(self, n: int) -> Iterator[tuple[int, float, float]]:
        """``n`` (hour of the day, sound level, brightness), the last two around that hour's means."""
        hours = self._rng.integers(24, size=n)
        levels = np.clip(self._rng.normal(_MEAN_LEVEL[hours], 0.2), 0.0, 1.0).round(4)
        brightness = np.clip(self._rng.normal(_MEAN_BRIGHTNESS[hours], 0.15), 0.0, 1.0).round(4)
        return zip(hours.tolist(), levels.tolist(), brightness.tolist())

    def context(self, step: int) -> Features:
        hour, level, brightness = self._drawn.next()
        return {"audio": {"level": level}, "video": {"brightness": brightness}, "time": {_HOURS[hour]: 1.0}}

    def expected_rewards(self, context: Features, step: int) -> list[float]:
        (hour,) = context["time"]
        level, brightness = context["audio"]["level"], context["video"]["brightness"]
        return [0.02 if (p := base + loud * level + bright * brightness) < 0.02 else 0.98 if p > 0.98 else p  # in [0.02, 0.98]
                for base, loud, bright in _LIKING[hour]]

    def reward(self, expected: float, rng: random.Random) -> float | None:
        return 1.0 if rng.random() < expected else None
