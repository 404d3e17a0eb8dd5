"""``light``: a lamp picks one of 4 colours from ambient sound, brightness and time of day; a simulated
person presses a button (reward 1) when the colour suits them.

The world is a generator spec (:func:`light_spec`): the hour of the day (``time``, one of ``h0`` to ``h23``), then
the sound level (``audio``) and brightness (``video``) around that hour's means (a daylight curve, loud evenings),
held within [0, 1]. How much a colour suits is linear in those features, a liking table given as the truth's
weights: a base preference per part of the day, loud rooms favour red, dark rooms favour warm light; the chance
of a press is held within [0.02, 0.98]. So the best colour is known for every context.

>>> world = LightWorld(seed=1)
>>> ctx = world.context(0)
>>> sorted(ctx), [a.id for a in world.actions], world.actions[2].features
(['audio', 'time', 'video'], ['warm', 'cool', 'red', 'blue'], {'colour': {'red': 1.0}})
>>> expected = world.expected_rewards({"time": {"h20": 1.0}, "audio": {"level": 0.9}, "video": {"brightness": 0.1}}, 0)
>>> dict(zip(COLOURS, [round(p, 4) for p in expected]))
{'warm': 0.49, 'cool': 0.22, 'red': 0.76, 'blue': 0.31}
"""

from __future__ import annotations

import random

from appliance.datagen.spec import GenSpec
from appliance.worlds.generated import GeneratedWorld

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


def light_spec(seed: int) -> GenSpec:
    """The spec of the ``light`` world.

    >>> spec = light_spec(3)
    >>> [ns.name for ns in spec.shared], spec.shared[2].values.loc_by.table["h12"], spec.truth.weights["time"]["h20"]
    (['time', 'audio', 'video'], 0.8, [0.6, 0.2, 0.4, 0.3])
    """
    hours = [f"h{hour}" for hour in range(24)]

    def around(means: list[float], spread: float) -> dict[str, object]:
        """Values around each hour's mean, held within [0, 1]."""
        return {"distribution": "normal", "scale": spread, "min": 0.0, "max": 1.0, "loc_by": {"namespace": "time", "table": dict(zip(hours, means))}}

    daylight = [0.8 if 8 <= hour < 18 else 0.15 for hour in range(24)]
    loud_evenings = [0.5 if 18 <= hour < 24 else 0.15 for hour in range(24)]
    return GenSpec.model_validate({
        "seed": seed, "examples": 10**10, "problem": {"type": "cb_adf"},
        "shared": [{"name": "time", "type": "categorical", "names": hours},
                   {"name": "audio", "type": "dense", "count": 1, "names": ["level"], "values": around(loud_evenings, 0.2)},
                   {"name": "video", "type": "dense", "count": 1, "names": ["brightness"], "values": around(daylight, 0.15)}],
        "actions": {"pool": len(COLOURS), "ids": list(COLOURS), "namespaces": [{"name": "colour", "type": "identity"}]},
        "truth": {"model": "given", "outcome": "bernoulli", "clip": [0.02, 0.98],
                  "weights": {"time": {hour: list(_BASE[part_of_day(h)]) for h, hour in enumerate(hours)},
                              "audio": {"level": list(_LOUD)}, "video": {"brightness": list(_BRIGHT)}}}})


class LightWorld(GeneratedWorld):
    def __init__(self, seed: int = 0) -> None:
        super().__init__("light", light_spec(seed))

    def reward(self, expected: float, rng: random.Random) -> float | None:
        """A press (1.0) with probability ``expected``; else nobody pressed, and there is no feedback at all."""
        return 1.0 if rng.random() < expected else None
