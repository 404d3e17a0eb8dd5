"""The Raspberry Pi's 40-pin header, as gpiozero knows it: a config's pin (BCM number or gpiozero name) to its
physical pin, and the power and ground pins a wiring diagram needs.

Every 40-pin Pi (Zero 2 W, 3, 4, 5) has the same map; gpiozero's board table is the source, so a pin name the
daemon accepts is a pin name the diagrams accept.

>>> resolve(17), resolve("BOARD13"), resolve("GPIO2")
(HeaderPin(bcm=17, physical=11), HeaderPin(bcm=27, physical=13), HeaderPin(bcm=2, physical=3))
>>> resolve(17).label
'GPIO17 (pin 11)'
>>> nearest("GND", [11, 13, 15])
14
>>> resolve("BOARD1")
Traceback (most recent call last):
...
appliance.kit.errors.WiringError: pin 'BOARD1' is physical pin 1 (3V3), not a GPIO; use a BCM number (e.g. 17) or a name like 'GPIO17'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from appliance.kit.errors import WiringError

Rail = Literal["GND", "3V3", "5V"]
RAILS: tuple[Rail, ...] = ("GND", "3V3", "5V")
ROWS = 20  # two columns of 20: odd physical numbers on the left (column 1), even on the right


@dataclass(frozen=True)
class HeaderPin:
    """A GPIO on the header: its BCM number and its physical pin number (1-40)."""

    bcm: int
    physical: int

    @property
    def name(self) -> str:
        return f"GPIO{self.bcm}"

    @property
    def label(self) -> str:
        return f"{self.name} (pin {self.physical})"


@cache
def _header() -> Any:
    from gpiozero.pins.pi import PiBoardInfo

    return PiBoardInfo.from_revision(0xD04170).headers["J8"]  # a Pi 5; every 40-pin Pi shares this header


def names() -> dict[int, str]:
    """Each physical pin's name: ``GPIO17``, ``GND``, ``3V3``, ``5V``.

    >>> names()[1], names()[6], names()[40]
    ('3V3', 'GND', 'GPIO21')
    """
    return {number: str(info.name) for number, info in _header().pins.items()}


def resolve(pin: int | str) -> HeaderPin:
    """The header pin a config's ``pin`` names (a BCM number, or a gpiozero name: GPIO17, BCM17, BOARD11, J8:11), as
    gpiozero, which opens the devices, reads it."""
    for number, info in _header().pins.items():
        if pin in info.names:
            if not str(info.name).startswith("GPIO"):
                raise WiringError(f"pin {pin!r} is physical pin {number} ({info.name}), not a GPIO; use a BCM number (e.g. 17) "
                                  "or a name like 'GPIO17'")
            return HeaderPin(int(str(info.name)[4:]), int(number))
    written = pin.strip().upper() if isinstance(pin, str) else pin
    if written != pin and any(written in info.names for info in _header().pins.values()):
        raise WiringError(f"pin {pin!r}: gpiozero's pin names are case-sensitive and have no spaces; write {written!r}")
    raise WiringError(f"pin {pin!r} is not on the 40-pin header; use a BCM number 0-27 or a name like 'GPIO17' or 'BOARD11'")


def position(physical: int) -> tuple[int, int]:
    """(row 1-20, column 1-2) of a physical pin: pin 1 is top left, pin 2 top right.

    >>> position(1), position(2), position(40)
    ((1, 1), (1, 2), (20, 2))
    """
    return (physical + 1) // 2, 2 - physical % 2


def nearest(rail: Rail, near: list[int]) -> int:
    """The physical pin of ``rail`` closest (in rows) to the pins ``near``; the lowest number breaks ties."""
    candidates = [n for n, name in names().items() if name == rail]
    rows = [position(p)[0] for p in near] or [1]
    return min(candidates, key=lambda n: (sum(abs(position(n)[0] - r) for r in rows), n))
