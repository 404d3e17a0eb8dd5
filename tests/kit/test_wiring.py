"""Wiring diagrams from a config's own pins: valid SVG naming every pin (BCM and physical) and every resistor, for
every demo and for a config with every GPIO kind; the committed drawings and the guide's tables are up to date;
`wabbit kit wiring` writes them; a pin that cannot be wired is refused with both users named."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from appliance.config import AppConfig, load_config, load_config_text
from appliance.kit import update
from appliance.kit.breadboard import breadboard
from appliance.kit.errors import WiringError
from appliance.kit.files import demo_names, demo_path
from appliance.kit.header import resolve
from appliance.kit.schematic import schematic
from appliance.kit.wiring import Wiring, wiring_of

SVG = "{http://www.w3.org/2000/svg}"
EVERY_KIND = """
policy: {actions: [{id: a}, {id: b}]}
actuators:
  - {type: rgb_led, name: anode, pins: [5, 6, 13], active_high: false, colours: {a: [1, 0, 0]}}
  - {type: pwm_led, name: glow, pin: "BOARD36", values: {a: 0.5}}
  - {type: led, name: dot, pin: GPIO26, "on": [b]}
  - {type: relay, name: pump, pin: 23, "on": [a]}
  - {type: servo, name: arm, pin: 18, values: {a: 1}}
  - {type: tonal_buzzer, name: tune, pin: 12, tones: {a: A4}}
  - {type: buzzer, name: beep, pin: 24, "on": [b]}
feedback:
  - {type: digital_sensor, name: pir, pin: 4}
  - {type: button, name: down, pin: 25, pull_up: false}
  - {type: mqtt, name: remote}
triggers:
  events: [{type: button, name: go, pin: 20}]
"""


def texts(svg: str) -> str:
    root = ET.fromstring(svg)  # valid XML, or this raises
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}title") is not None
    return "\n".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def assert_names_every_pin(config: AppConfig, wiring: Wiring) -> None:
    pins = [p for kind in (*config.actuators, *config.feedback, *config.triggers.events) for p in kind.gpio_pins()]
    assert sorted(p.bcm for p in wiring.pins()) == sorted(resolve(p).bcm for p in pins)
    for draw in (breadboard, schematic):
        shown = texts(draw(wiring, "test"))
        for pin in pins:
            header = resolve(pin)
            assert f"GPIO{header.bcm} · pin {header.physical}" in shown, (draw.__name__, pin)
        for rail, physical in wiring.rails.items():
            assert f"{rail} · pin {physical}" in shown, (draw.__name__, rail)
        for lead in (lead for d in wiring.devices for lead in d.leads if lead.resistor_ohms):
            assert f"{lead.resistor_ohms} Ω" in shown
        for device in wiring.devices:
            assert device.name in shown


@pytest.mark.parametrize("name", demo_names())
def test_each_demo_is_drawn_with_every_pin_it_uses(name: str) -> None:
    config = load_config(demo_path(name))
    assert_names_every_pin(config, wiring_of(config))


def test_every_gpio_kind_is_drawn_and_a_common_anode_led_returns_to_3v3() -> None:
    config = load_config_text(EVERY_KIND)
    wiring = wiring_of(config)
    assert_names_every_pin(config, wiring)
    kinds = {d.name: d for d in wiring.devices}
    assert "remote" not in kinds  # MQTT: no pins
    assert kinds["anode"].returns == "3V3" and kinds["down"].returns == "3V3" and kinds["pump"].supply == "5V"
    assert kinds["glow"].leads[0].pin.bcm == 16 and kinds["dot"].leads[0].pin.physical == 37
    assert set(wiring.rails) == {"GND", "3V3", "5V"}
    assert len({lead.colour for d in wiring.devices if d.shape != "rgb" for lead in d.leads}) > 3  # two buttons: two colours


def test_the_breadboard_ends_above_the_modules_and_the_captions_below_it() -> None:
    # the board's rectangle ran 48 px past its bottom rail, over the first caption line and the modules' boxes
    root = ET.fromstring(breadboard(wiring_of(load_config_text(EVERY_KIND)), "test"))
    rects = {r.get("fill"): r for r in root.iter(f"{SVG}rect")}
    board = rects["#f5f5f0"]
    bottom = float(board.get("y", 0)) + float(board.get("height", 0))
    modules = [float(r.get("y", 0)) for r in root.iter(f"{SVG}rect") if r.get("fill") == "#eceff1" and r.get("rx") == "4"]
    captions = [float(t.get("y", 0)) - float(t.get("font-size", 0)) for t in root.iter(f"{SVG}text")
                if (t.text or "").startswith("column")]
    assert modules and captions and min(modules + captions) > bottom


def test_a_pin_used_twice_or_not_a_gpio_is_refused_naming_both() -> None:
    twice = load_config_text("actuators: [{type: led, name: dot, pin: 17, 'on': [warm]}]\nfeedback: [{type: button, name: like, pin: GPIO17}]")
    with pytest.raises(WiringError, match=r"GPIO17 \(pin 11\) is used by both dot \(actuators\) and like \(feedback\)"):
        wiring_of(twice)
    with pytest.raises(WiringError, match="physical pin 6 .GND., not a GPIO"):
        wiring_of(load_config_text("feedback: [{type: button, pin: BOARD6}]"))
    with pytest.raises(WiringError, match="is not on the 40-pin header"):
        wiring_of(load_config_text("feedback: [{type: button, pin: 40}]"))


def test_a_config_without_pins_draws_a_note() -> None:
    wiring = wiring_of(AppConfig())
    assert not wiring.devices and "nothing to wire" in texts(breadboard(wiring, "x")) and "nothing to wire" in texts(schematic(wiring, "x"))


def test_the_committed_diagrams_and_the_guides_tables_are_up_to_date() -> None:
    assert update.stale() == [], "run: python -m appliance.kit.update"
    committed = sorted(p.name for p in (update.CHECKOUT / "kit/wiring").glob("*.svg"))
    assert committed == sorted(Path(p).name for p in update.diagrams())
    assert "hello-world-breadboard.svg" in committed and "mqtt-loop-breadboard.svg" not in committed


def test_wabbit_kit_wiring_writes_both_views(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "appliance", "kit", "wiring", str(demo_path("hello-world")), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lamp (RGB LED, common cathode): red leg -> GPIO17 (pin 11) through 220 Ω resistor" in done.stdout
    for view in ("breadboard", "schematic"):
        assert "GPIO2 · pin 3" in texts((tmp_path / "out" / f"hello-world-{view}.svg").read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text("feedback:\n  - {type: button, pin: 2, colour: red}\n")
    refused = subprocess.run([sys.executable, "-m", "appliance", "kit", "wiring", str(bad)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and f"{bad}:2: feedback.0.colour: unknown key" in refused.stderr


def test_wiring_into_a_file_says_o_takes_a_directory(tmp_path: Path) -> None:
    taken = tmp_path / "wiring.svg"
    taken.write_text("mine")
    refused = subprocess.run([sys.executable, "-m", "appliance", "kit", "wiring", str(demo_path("hello-world")), "-o", str(taken)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr == f"wabbit kit: {taken}: not a directory; give -o the directory to write the two SVG files in\n"
    assert refused.stdout == "" and taken.read_text() == "mine"


def test_a_pin_that_cannot_be_wired_names_the_device_and_the_file(tmp_path: Path) -> None:
    # a config of several devices: the error says which one holds the pin, and `wabbit kit wiring` which file
    config = tmp_path / "lamp.yaml"
    config.write_text("policy: {actions: [{id: a}, {id: b}]}\nactuators:\n  - {type: led, name: dot, pin: 17, 'on': [a]}\n"
                      "  - {type: led, name: spare, pin: 30, 'on': [b]}\ntriggers:\n  events: [{type: button, pin: BOARD6}]\n")
    with pytest.raises(WiringError, match=r"^actuators\.1 \(spare\): pin 30 is not on the 40-pin header"):
        wiring_of(load_config(config))
    refused = subprocess.run([sys.executable, "-m", "appliance", "kit", "wiring", str(config), "-o", str(tmp_path / "out")],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and f"{config}: actuators.1 (spare): pin 30 is not on the 40-pin header" in refused.stderr
    with pytest.raises(WiringError, match=r"^triggers\.events\.0 \(button-0\): pin 'BOARD6' is physical pin 6 \(GND\)"):
        wiring_of(load_config_text("triggers:\n  events: [{type: button, pin: BOARD6}]\n"))


@pytest.mark.parametrize("pin, written", [("gpio17", "GPIO17"), ("board11", "BOARD11"), (" GPIO17", "GPIO17")])
def test_a_pin_name_the_devices_refuse_is_refused_saying_how_to_write_it(pin: str, written: str) -> None:
    # gpiozero, which opens the daemon's devices, refuses these names: a diagram drawn for them would wire a config that
    # does not start (and the dashboard's Check shows this warning before Apply)
    from gpiozero.pins.mock import MockFactory

    with pytest.raises(Exception, match="not a valid pin name"):
        MockFactory().pin(pin)
    with pytest.raises(WiringError, match=rf"^feedback\.0 \(like\): pin {pin!r}: gpiozero's pin names are case-sensitive "
                                          rf"and have no spaces; write '{written}'"):
        wiring_of(load_config_text(f"feedback: [{{type: button, name: like, pin: '{pin}'}}]"))
    assert resolve(written) == resolve(17)
