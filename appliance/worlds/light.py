"""``light``: a lamp picks one of 4 colours from ambient sound, brightness and time of day; a simulated
person presses a button (reward 1) when the colour suits them.

How much a colour suits is linear in the features the appliance sees, so the best colour is known for every
context: a base preference per part of the day, loud rooms favour red, dark rooms favour warm light.

>>> world = LightWorld(seed=1)
>>> ctx = world.context(0)
>>> sorted(ctx)
['audio', 'time', 'video']
>>> world.expected_reward({"time": {"h20": 1.0}, "audio": {"level": 0.9}, "video": {"brightness": 0.1}}, "red", 0)
0.76
"""

from __future__ import annotations

import random
from typing import Any

from appliance.config.policy import ActionConfig
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


class LightWorld:
    name = "light"
    policy_hints: dict[str, Any] = {}

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._actions = [ActionConfig(id=c, features={"colour": {c: 1.0}}) for c in COLOURS]

    @property
    def actions(self) -> list[ActionConfig]:
        return self._actions

    @property
    def context_namespaces(self) -> list[str]:
        return ["audio", "video", "time"]

    def context(self, step: int) -> Features:
        rng = self._rng
        hour = rng.randrange(24)
        daylight = 0.8 if 8 <= hour < 18 else 0.15
        loud_evening = 0.5 if 18 <= hour < 24 else 0.15
        level = min(1.0, max(0.0, rng.gauss(loud_evening, 0.2)))
        brightness = min(1.0, max(0.0, rng.gauss(daylight, 0.15)))
        return {"audio": {"level": round(level, 4)}, "video": {"brightness": round(brightness, 4)}, "time": {f"h{hour}": 1.0}}

    def expected_reward(self, context: Features, action: str, step: int) -> float:
        hour = int(next(iter(context["time"]))[1:])
        i = COLOURS.index(action)
        p = _BASE[part_of_day(hour)][i] + _LOUD[i] * context["audio"]["level"] + _BRIGHT[i] * context["video"]["brightness"]
        return round(min(0.98, max(0.02, p)), 6)

    def reward(self, context: Features, action: str, step: int, rng: random.Random) -> float | None:
        return 1.0 if rng.random() < self.expected_reward(context, action, step) else None
