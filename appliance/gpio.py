"""Which gpiozero pin factory drives the GPIO devices.

Order: the factory passed in (tests inject ``MockFactory``), ``gpiozero.Device.pin_factory`` if someone set
it, ``GPIOZERO_PIN_FACTORY`` (``mock`` gives PWM-capable mock pins, so RGB LEDs and servos work), then
gpiozero's own search (lgpio first on a Pi). When that search finds nothing and no factory was asked for by
name, the devices are simulated with ``MockFactory`` and one log line says so: a laptop runs the demos.

>>> from gpiozero.pins.mock import MockFactory
>>> factory = MockFactory()
>>> resolve_pin_factory(factory) is factory
True
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

from appliance.errors import WabbitError

log = logging.getLogger(__name__)


class PinFactoryError(WabbitError, RuntimeError):
    """The pin factory named in GPIOZERO_PIN_FACTORY could not be loaded."""


def mock_factory() -> Any:
    """A ``MockFactory`` whose pins support PWM (unless GPIOZERO_MOCK_PIN_CLASS names another class)."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    return MockFactory(pin_class=None if os.environ.get("GPIOZERO_MOCK_PIN_CLASS") else MockPWMPin)


def is_simulated(factory: Any) -> bool:
    from gpiozero.pins.mock import MockFactory

    return isinstance(factory, MockFactory)


def resolve_pin_factory(factory: Any = None) -> Any:
    """The pin factory to build devices with (see the module docstring for the order)."""
    if factory is not None:
        return factory
    from gpiozero import Device

    if Device.pin_factory is not None:
        return Device.pin_factory
    name = os.environ.get("GPIOZERO_PIN_FACTORY", "").strip()
    if name.lower() == "mock":
        return mock_factory()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gpiozero warns once per factory it could not load
            return Device._default_pin_factory()
    except Exception as err:
        if name:
            raise PinFactoryError(
                f"GPIOZERO_PIN_FACTORY={name}: cannot load that pin factory ({err}). On a Pi install the "
                "`pi` extra (lgpio); on a machine without GPIO set GPIOZERO_PIN_FACTORY=mock or unset it."
            ) from None
        log.warning("no GPIO found (%s): the GPIO devices are simulated (gpiozero MockFactory)", err)
        return mock_factory()


def build_device(role: str, config: Any, name: str, pin_factory: Any = None) -> Any:
    """Build a kind of ``role`` (actuators, feedback, triggers) as ``Kind(config, name, pin_factory)``; only kinds
    with GPIO pins (``config.gpio_pins()``) get a pin factory, so a networked kind never loads gpiozero."""
    from appliance.registry import REGISTRY

    factory = resolve_pin_factory(pin_factory) if config.gpio_pins() else None
    return REGISTRY.build(role, config, name=name, pin_factory=factory)


def pin_state(pin: Any) -> Any:
    """A pin's level: bool for on/off pins, 0..1 for PWM; None when it cannot be read (closed)."""
    try:
        state = pin.state
    except Exception:
        return None
    return state if isinstance(state, (bool, float, int)) else None


def pin_name(pin: Any) -> str:
    info = getattr(pin, "info", None)
    return str(getattr(info, "name", pin))
