"""What to wire for a config: every GPIO its actuators, feedback sources and button triggers use, read from
the same config objects the daemon builds its devices from (``gpio_pins()``), so a diagram cannot disagree
with the config it was drawn for.

Each device becomes leads (one wire from a GPIO to one of its terminals, through a resistor where it needs
one) and the rail its other side goes to. LEDs get 220 ohm: from 3.3 V that is at most (3.3 - 1.8) / 220 =
6.8 mA per leg, within the 16 mA a Pi GPIO may source, and one resistor value for the whole kit.

>>> from appliance.config import load_config_text
>>> w = wiring_of(load_config_text('''
... actuators: [{type: rgb_led, name: lamp, pins: [17, 27, 22], colours: {warm: [1, 0.6, 0.2]}}]
... feedback: [{type: button, name: like, pin: 2}]
... '''))
>>> for d in w.devices:
...     print(d.name, [(lead.label, lead.pin.label, lead.resistor_ohms) for lead in d.leads], d.returns)
lamp [('red leg', 'GPIO17 (pin 11)', 220), ('green leg', 'GPIO27 (pin 13)', 220), ('blue leg', 'GPIO22 (pin 15)', 220)] GND
like [('one leg', 'GPIO2 (pin 3)', None)] GND
>>> w.rails
{'GND': 14}
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Literal

from appliance.config import AppConfig, load_config
from appliance.config.triggers import trigger_name
from appliance.kit.errors import WiringError
from appliance.kit.header import RAILS, HeaderPin, Rail, nearest, resolve

Shape = Literal["rgb", "led", "button", "two", "module"]
"""How a device sits on a breadboard: an RGB LED's four legs, an LED's two, a button across the gap, a two-legged
part across the gap, or a module on its own wired by its terminals."""
LED_OHMS = 220
WIRE = {"red": "#d32f2f", "green": "#2e7d32", "blue": "#1565c0", "yellow": "#f9a825", "orange": "#ef6c00",
        "purple": "#6a1b9a", "white": "#9e9e9e", "GND": "#212121", "3V3": "#ff8f00", "5V": "#c62828"}
PALETTE = ("yellow", "orange", "purple", "white", "green", "blue", "red")


@dataclass(frozen=True)
class Lead:
    """One wire from a GPIO to a terminal of the device, through a resistor if ``resistor_ohms`` is set."""

    label: str
    pin: HeaderPin
    resistor_ohms: int | None
    colour: str


@dataclass(frozen=True)
class Device:
    """A device of the config and how it connects: its leads, the rail its other side goes to, and a 5 V supply."""

    name: str
    kind: str
    section: str
    part: str
    shape: Shape
    leads: tuple[Lead, ...]
    returns: Rail | None
    returns_label: str
    supply: Rail | None = None
    note: str = ""


@dataclass(frozen=True)
class Wiring:
    """The devices to wire, and the header pin each rail they use comes from."""

    devices: tuple[Device, ...]
    rails: dict[Rail, int]

    def pins(self) -> list[HeaderPin]:
        return [lead.pin for d in self.devices for lead in d.leads]

    def rows(self) -> list[dict[str, str]]:
        """One row per wire, for tables: device, terminal, Pi pin, resistor, and where the other side goes."""
        rows = []
        for d in self.devices:
            for lead in d.leads:
                through = f"{lead.resistor_ohms} Ω resistor" if lead.resistor_ohms else "a jumper wire"
                rows.append({"device": f"{d.name} ({d.part})", "terminal": lead.label, "pin": lead.pin.label, "through": through})
            if d.returns is not None:
                rows.append({"device": f"{d.name} ({d.part})", "terminal": d.returns_label, "pin": self.rail_label(d.returns),
                             "through": "a jumper wire"})
            if d.supply is not None:
                rows.append({"device": f"{d.name} ({d.part})", "terminal": "VCC", "pin": self.rail_label(d.supply), "through": "a jumper wire"})
        return rows

    def rail_label(self, rail: Rail) -> str:
        return f"{rail} (pin {self.rails[rail]})"


def _rgb(c: Any, name: str, section: str) -> Device:
    leads = tuple(Lead(f"{colour} leg", resolve(p), LED_OHMS, colour) for colour, p in zip(("red", "green", "blue"), c.pins))
    anode = not c.active_high
    return Device(name, c.type, section, "RGB LED, common " + ("anode" if anode else "cathode"), "rgb", leads,
                  "3V3" if anode else "GND", "common (longest) leg",
                  note="Each colour leg goes through its own resistor; the longest leg is the common one.")


def _led(c: Any, name: str, section: str) -> Device:
    high = c.active_high
    lead = Lead("long leg (anode)" if high else "short leg (cathode)", resolve(c.pin), LED_OHMS, "orange")
    return Device(name, c.type, section, "LED", "led", (lead,), "GND" if high else "3V3", "short leg (cathode)" if high else "long leg (anode)")


def _two_terminal(part: str, note: str = "") -> Callable[[Any, str, str], Device]:
    def build(c: Any, name: str, section: str) -> Device:
        return Device(name, c.type, section, part, "two", (Lead("+ terminal", resolve(c.pin), None, "purple"),), "GND", "- terminal", note=note)
    return build


def _module(part: str, terminal: str, note: str) -> Callable[[Any, str, str], Device]:
    def build(c: Any, name: str, section: str) -> Device:
        return Device(name, c.type, section, part, "module", (Lead(terminal, resolve(c.pin), None, "white"),), "GND", "GND", "5V", note)
    return build


def _button(c: Any, name: str, section: str) -> Device:
    pull_up = getattr(c, "pull_up", True)
    to: Rail = "3V3" if pull_up is False or (pull_up is None and getattr(c, "active_high", False)) else "GND"
    note = "" if pull_up is not None else "The input floats (pull_up: null): add a 10 kΩ pull resistor to the opposite rail."
    return Device(name, c.type, section, "push button", "button", (Lead("one leg", resolve(c.pin), None, "yellow"),), to, "the other leg", note=note)


BUILDERS: dict[str, Callable[[Any, str, str], Device]] = {
    "rgb_led": _rgb, "led": _led, "pwm_led": _led, "button": _button,
    "buzzer": _two_terminal("active buzzer", "A buzzer drawing more than 16 mA needs a transistor between it and the GPIO."),
    "tonal_buzzer": _two_terminal("passive buzzer (piezo)"),
    "relay": _module("relay module", "IN", "Use a relay module (it has its own driver transistor): a bare relay coil must not hang on a GPIO."),
    "servo": _module("servo", "signal", "A servo larger than a micro servo needs its own 5 V supply; join its ground to the Pi's."),
    "angular_servo": _module("servo", "signal", "A servo larger than a micro servo needs its own 5 V supply; join its ground to the Pi's."),
    "digital_sensor": _module("digital sensor (e.g. a PIR)", "OUT", "The sensor's output must be 3.3 V (an HC-SR501 PIR's is)."),
}


def _generic(c: Any, name: str, section: str) -> Device:
    leads = tuple(Lead(f"input {i + 1}" if len(c.gpio_pins()) > 1 else "signal", resolve(p), None, "white") for i, p in enumerate(c.gpio_pins()))
    return Device(name, c.type, section, f"{c.type} device", "module", leads, "GND", "GND",
                  note="A plug-in kind: see its documentation for its parts.")


def _distinct_colours(devices: list[Device]) -> list[Device]:
    """Give a lead another wire colour when an earlier device's lead has its colour (two buttons: yellow, orange)."""
    taken: set[str] = set()
    out = []
    for d in devices:
        leads = []
        for lead in d.leads:
            if lead.colour in taken and d.shape != "rgb":
                lead = replace(lead, colour=next((c for c in PALETTE if c not in taken), lead.colour))
            taken.add(lead.colour)
            leads.append(lead)
        out.append(replace(d, leads=tuple(leads)))
    return out


def _device(c: Any, name: str, section: str, where: str) -> Device:
    """The device of one config entry; a pin it cannot be wired with is a :class:`WiringError` naming the entry."""
    try:
        return BUILDERS.get(c.type, _generic)(c, name, section)
    except WiringError as err:
        raise WiringError(f"{where} ({name}): {err}") from None


def wiring_of(config: AppConfig) -> Wiring:
    """The wiring of every GPIO device in ``config``; :class:`WiringError` if a pin is not a GPIO or is used twice."""
    entries: list[tuple[Any, str, str, str]] = [(c, c.name or f"{c.type}-{i}", "actuators", f"actuators.{i}") for i, c in enumerate(config.actuators)]
    entries += [(c, c.name or f"{c.type}-{i}", "feedback", f"feedback.{i}") for i, c in enumerate(config.feedback)]
    entries += [(c, trigger_name(c, i), "triggers", f"triggers.events.{i}") for i, c in enumerate(config.triggers.events)]
    devices = _distinct_colours([_device(c, name, section, where) for c, name, section, where in entries if c.gpio_pins()])
    used: dict[int, str] = {}
    for d in devices:
        for lead in d.leads:
            owner = f"{d.name} ({d.section})"
            if lead.pin.bcm in used:
                raise WiringError(f"{lead.pin.label} is used by both {used[lead.pin.bcm]} and {owner}; give each its own pin")
            used[lead.pin.bcm] = owner
    physical = [lead.pin.physical for d in devices for lead in d.leads]
    wanted = {r for d in devices for r in (d.returns, d.supply) if r is not None}
    rails: dict[Rail, int] = {r: nearest(r, physical) for r in RAILS if r in wanted}
    return Wiring(tuple(devices), rails)


def load_wiring(path: Path) -> Wiring:
    """The wiring of the config file at ``path`` (errors name its line, as ``wabbit config validate`` does)."""
    config = load_config(path)
    try:
        return wiring_of(config)
    except WiringError as err:
        raise WiringError(f"{path}: {err}") from None
