"""GPIO actuators and feedback through the real loop (appliance.assemble.open_loop) on gpiozero MockFactory pins."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from pydantic import TypeAdapter

from appliance.actuators import RecordingActuator, build_actuator
from appliance.actuators.base import ActuatorError
from appliance.config.actuators import ActuatorConfig
from appliance.config.feedback import FeedbackConfig
from appliance.devices import Devices
from appliance.errors import ConfigError
from appliance.feedback import FeedbackError
from appliance.gpio import PinFactoryError, resolve_pin_factory

COLOURS = {"warm": (1.0, 0.6, 0.2), "cool": (0.2, 0.6, 1.0), "red": (1.0, 0.0, 0.0), "blue": (0.0, 0.0, 1.0)}
CONTEXT = {"sensors": {"loud": 0.3, "bright": 0.8}}


def actuators(*items: dict[str, Any]) -> list[ActuatorConfig]:
    return TypeAdapter(list[ActuatorConfig]).validate_python(list(items))


def feedback(*items: dict[str, Any]) -> list[FeedbackConfig]:
    return TypeAdapter(list[FeedbackConfig]).validate_python(list(items))


def rgb(**extra: Any) -> dict[str, Any]:
    return {"type": "rgb_led", "name": "lamp", "pins": [17, 27, 22], "colours": {k: list(v) for k, v in COLOURS.items()}, **extra}


def press(factory: Any, pin: int, hold: float = 0.0) -> None:
    factory.pin(pin).drive_low()  # pull-up button: pressed pulls the pin low
    if hold:
        time.sleep(hold)
    factory.pin(pin).drive_high()


def test_decision_lights_the_rgb_led_and_a_press_rewards_it(mock_factory: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=10)
    devices = Devices.from_config(actuators(rgb()), feedback({"type": "button", "name": "like", "pin": 2}), mock_factory)
    devices.start(loop)
    try:
        decision, ticket = loop.decide(CONTEXT)
        ticket.wait()
        loop.bus.flush()  # actuators act on the bus's thread, once the decision is durable
        red, green, blue = (mock_factory.pin(p).state for p in (17, 27, 22))
        assert (red, green, blue) == pytest.approx(COLOURS[decision.action])
        lamp = devices.stats()["actuators"]["lamp"]
        assert lamp["state"] == pytest.approx(list(COLOURS[decision.action])) and lamp["last_event_id"] == decision.event_id
        assert lamp["pins"] == {"GPIO17": pytest.approx(red), "GPIO27": pytest.approx(green), "GPIO22": pytest.approx(blue)}

        clock.advance(3)
        press(mock_factory, 2)
        assert devices.stats()["feedback"]["like"]["accepted"] == 1
        assert loop.joiner.rewards_of(decision.event_id)[0].value == 1.0

        clock.advance(8)  # past the 10 s wait
        joined = loop.tick()
        assert [(e.decision.event_id, e.reward, e.outcome) for e in joined] == [(decision.event_id, 1.0, "on_time")]
    finally:
        devices.stop()
    assert [mock_factory.pin(p).state for p in (17, 27, 22)] == [0, 0, 0]


def test_hold_s_switches_the_led_off_after_its_time(mock_factory: Any, make_loop: Any) -> None:
    loop = make_loop()
    devices = Devices.from_config(actuators({"type": "led", "pin": 5, "on": ["warm", "cool", "red", "blue"], "hold_s": 0.2}), [], mock_factory)
    devices.start(loop)
    pin = mock_factory.pin(5)
    pin.clear_states()
    loop.decide(CONTEXT)[1].wait()
    time.sleep(0.35)
    # the LED waits for the decision's WAL commit (an fsync), so time the hold itself, from on to off
    assert [s.state for s in pin.states] == [False, True, False]
    assert abs(pin.states[2].timestamp - pin.states[1].timestamp - 0.2) < 0.05
    devices.stop()


def test_a_new_decision_restarts_the_hold(mock_factory: Any) -> None:
    lamp = build_actuator(actuators(rgb(hold_s=0.15))[0], "lamp", mock_factory)
    lamp.act({"event_id": "a", "action": "warm"})
    time.sleep(0.1)
    lamp.act({"event_id": "b", "action": "blue"})
    time.sleep(0.1)  # the first hold would have ended by now
    assert mock_factory.pin(22).state == 1.0
    time.sleep(0.15)
    assert [mock_factory.pin(p).state for p in (17, 27, 22)] == [0, 0, 0]
    lamp.close()


def test_long_press_gives_its_own_value(mock_factory: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=5)
    button = {"type": "button", "name": "like", "pin": 2, "long_press_s": 0.15, "long_press_value": -1.0}
    devices = Devices.from_config([], feedback(button), mock_factory)
    devices.start(loop)
    first, _ = loop.decide(CONTEXT)
    press(mock_factory, 2, hold=0.2)
    clock.advance(1)
    second, _ = loop.decide(CONTEXT)
    press(mock_factory, 2)
    clock.advance(6)
    rewards = {e.decision.event_id: e.reward for e in loop.tick()}
    assert rewards == {first.event_id: -1.0, second.event_id: 1.0}
    assert devices.stats()["feedback"]["like"]["long_presses"] == 1
    devices.stop()


def test_transform_window_and_action_filter(mock_factory: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=60)
    button = {"type": "button", "name": "like", "pin": 2, "value": 2.0, "transform": {"scale": 0.5, "offset": 0.25},
              "attribution_window_s": 5, "actions": ["red"]}
    devices = Devices.from_config([], feedback(button), mock_factory)
    devices.start(loop)
    decision, _ = loop.decide(CONTEXT, actions=["warm", "cool"])
    press(mock_factory, 2)  # only decisions of `red` are rewarded by this button
    red, _ = loop.decide(CONTEXT, actions=["red"])
    clock.advance(6)
    press(mock_factory, 2)  # outside the 5 s window
    stats = devices.stats()["feedback"]["like"]
    assert (stats["accepted"], stats["unknown"]) == (0, 2)
    red, _ = loop.decide(CONTEXT, actions=["red"])
    clock.advance(1)
    press(mock_factory, 2)
    assert devices.stats()["feedback"]["like"]["accepted"] == 1
    assert loop.joiner.rewards_of(red.event_id)[0].value == 1.25  # 2.0 * 0.5 + 0.25
    assert loop.joiner.rewards_of(decision.event_id) == []
    devices.stop()


def test_digital_sensor_cooldown_and_inactive_value(mock_factory: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=60)
    pir = {"type": "digital_sensor", "name": "pir", "pin": 4, "pull_up": False, "value": 1.0, "inactive_value": 0.5, "cooldown_s": 10}
    devices = Devices.from_config([], feedback(pir), mock_factory)
    devices.start(loop)
    decision, _ = loop.decide(CONTEXT)
    pin = mock_factory.pin(4)
    pin.drive_high(); pin.drive_low(); pin.drive_high(); pin.drive_low()
    stats = devices.stats()["feedback"]["pir"]
    assert (stats["activations"], stats["suppressed"], stats["accepted"]) == (1, 1, 3)
    assert sorted(r.value for r in loop.joiner.rewards_of(decision.event_id)) == [0.5, 0.5, 1.0]
    devices.stop()


@pytest.mark.parametrize("config, action, on_state", [
    ({"type": "led", "pin": 5, "on": ["warm"]}, "warm", 1.0),
    ({"type": "pwm_led", "pin": 5, "values": {"warm": 0.25}}, "warm", 0.25),
    ({"type": "buzzer", "pin": 5, "on": ["warm"]}, "warm", 1.0),
    ({"type": "relay", "pin": 5, "on": ["warm"]}, "warm", 1.0),
    ({"type": "relay", "pin": 5, "on": ["warm"], "active_high": False}, "warm", 0.0),
    ({"type": "tonal_buzzer", "pin": 5, "tones": {"warm": "A4"}}, "warm", 0.5),
    ({"type": "servo", "pin": 5, "values": {"warm": 1.0}}, "warm", 0.1),  # 2 ms of a 20 ms period
    ({"type": "angular_servo", "pin": 5, "angles": {"warm": 0}}, "warm", 0.075),
])
def test_every_gpio_kind_acts_and_goes_safe(mock_factory: Any, config: dict[str, Any], action: str, on_state: float) -> None:
    actuator = build_actuator(actuators(config)[0], "x", mock_factory)
    pin = mock_factory.pin(5)
    off_state = pin.state
    actuator.act({"event_id": "e1", "action": action})
    assert pin.state == pytest.approx(on_state)
    actuator.act({"event_id": "e2", "action": "unmapped"})
    assert pin.state == off_state and actuator.stats()["unmapped"] == 1
    actuator.act({"event_id": "e3", "action": action})
    actuator.safe()
    assert pin.state == off_state
    actuator.close()
    assert actuator.stats()["closed"] and actuator.stats()["state"] is None


def test_a_failing_actuator_goes_safe_and_the_others_carry_on(mock_factory: Any, make_loop: Any) -> None:
    loop = make_loop()
    broken = RecordingActuator("broken", {a: "on" for a in COLOURS}, fail_on=frozenset({"warm", "cool", "red", "blue"}))
    good = RecordingActuator("good", {a: a for a in COLOURS})
    devices = Devices([broken, good], [])
    devices.start(loop)
    decision, ticket = loop.decide(CONTEXT)
    ticket.wait()
    loop.bus.flush()
    assert good.state == decision.action and broken.state == "off"
    stats = devices.stats()
    assert stats["actuator_errors"] == 1 and stats["actuators"]["broken"]["errors"] == 1
    devices.stop()


def test_unknown_actions_and_pin_conflicts_are_config_errors(mock_factory: Any, make_loop: Any) -> None:
    loop = make_loop()
    devices = Devices.from_config(actuators(rgb(colours={"purple": [1, 0, 1]})), [], mock_factory)
    with pytest.raises(ConfigError, match="action purple is not declared in policy.actions"):
        devices.start(loop)
    devices.stop()
    with pytest.raises(FeedbackError, match="pin 17: cannot open the input"):
        Devices.from_config(actuators(rgb()), feedback({"type": "button", "pin": 17}), mock_factory)
    assert mock_factory.pin(17).function == "input"  # the LED built before the failure was closed again
    with pytest.raises(ActuatorError, match="pins must differ|cannot open"):
        Devices.from_config(actuators({"type": "led", "pin": 5}, {"type": "led", "pin": 5}), [], mock_factory)
    with pytest.raises(ConfigError, match="names must be unique"):
        Devices([RecordingActuator("a"), RecordingActuator("a")], [])


def test_no_gpio_falls_back_to_simulated_pins(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    monkeypatch.setattr(Device, "pin_factory", None)
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    monkeypatch.delenv("GPIOZERO_MOCK_PIN_CLASS", raising=False)
    with caplog.at_level(logging.WARNING):
        factory = resolve_pin_factory()
    assert isinstance(factory, MockFactory) and factory.pin_class is MockPWMPin
    assert [r.getMessage() for r in caplog.records if "simulated" in r.getMessage()] != []
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")
    assert isinstance(resolve_pin_factory(), MockFactory)
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")
    with pytest.raises(PinFactoryError, match="GPIOZERO_PIN_FACTORY=lgpio"):
        resolve_pin_factory()


def test_an_angular_servo_without_a_range_is_refused_when_built(mock_factory: Any) -> None:
    # min_angle == max_angle leaves gpiozero nothing to scale by: every action would fail with "float division by zero"
    config = actuators({"type": "angular_servo", "pin": 5, "min_angle": 45, "max_angle": 45, "angles": {"warm": 45}})[0]
    with pytest.raises(ActuatorError, match="min_angle and max_angle are both 45"):
        build_actuator(config, "arm", mock_factory)
    assert mock_factory.pin(5).function == "input"  # no pin held by the refused servo


def test_servo_pulse_widths_in_the_wrong_order_name_the_fields(mock_factory: Any) -> None:
    # swapped widths are a config mistake, not a pin in use: the error names the config keys, not the pins
    config = actuators({"type": "servo", "pin": 5, "min_pulse_width_s": 0.002, "max_pulse_width_s": 0.001, "values": {"warm": 1}})[0]
    with pytest.raises(ActuatorError, match=r"min_pulse_width_s \(0.002\) must be less than max_pulse_width_s \(0.001\)") as raised:
        build_actuator(config, "arm", mock_factory)
    assert "pin numbers" not in str(raised.value)


def test_a_pull_down_on_a_pin_with_a_fixed_pull_up_says_what_to_change(mock_factory: Any) -> None:
    # GPIO2 and GPIO3 carry the I2C pull-ups: the digital sensor's default pull-down cannot be set there, and the
    # error must say so (not send the user to check the pin number)
    with pytest.raises(FeedbackError) as caught:
        Devices.from_config([], feedback({"type": "digital_sensor", "name": "pir", "pin": 2}), mock_factory)
    message = str(caught.value)
    assert "pull_up: true" in message and "another pin" in message and "Check the pin number" not in message


def test_a_pir_with_the_default_config_rewards_when_motion_starts(mock_factory: Any, make_loop: Any) -> None:
    # an HC-SR501 PIR drives its output high while it sees motion, low otherwise: the config the wiring guide
    # draws ({type: digital_sensor, pin: 4}) must reward the start of motion, not its end seconds later
    loop = make_loop(reward_wait_s=60)
    devices = Devices.from_config([], feedback({"type": "digital_sensor", "name": "pir", "pin": 4}), mock_factory)
    devices.start(loop)
    try:
        loop.decide(CONTEXT)
        pin = mock_factory.pin(4)
        pin.drive_low()  # idle
        assert devices.stats()["feedback"]["pir"]["active"] is False
        pin.drive_high()  # motion
        assert devices.stats()["feedback"]["pir"]["accepted"] == 1
        pin.drive_low()  # motion over
        assert devices.stats()["feedback"]["pir"]["accepted"] == 1
    finally:
        devices.stop()
