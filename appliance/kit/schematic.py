"""The schematic: the Pi as a block with one stub per pin used (BCM name and physical number), each lead
through its resistor (numbered, with its value) to its part's symbol, and the ground and 3.3 V rails as
buses fed from the pins the breadboard view uses too.

>>> from appliance.config import load_config_text
>>> from appliance.kit.wiring import wiring_of
>>> svg = schematic(wiring_of(load_config_text("actuators: [{type: led, pin: 17, 'on': [warm]}]")), "demo")
>>> all(s in svg for s in ("GPIO17 · pin 11", "R1 220 Ω", "GND · pin 9"))
True
"""

from __future__ import annotations

from appliance.kit.svg import INK, MUTED, Svg
from appliance.kit.wiring import WIRE, Device, Lead, Wiring

PI_X, PI_R = 20, 210  # the Pi block's left and right edges
PART_X = 380  # where symbols start
BUS = {"GND": 500, "3V3": 540}
ROW, TITLE = 40, 24


def _zigzag(s: Svg, x: float, y: float, width: float = 60) -> None:
    step = width / 8
    points = [(x, y)] + [(x + step * (i + 0.5), y + (-7 if i % 2 else 7)) for i in range(8)] + [(x + width, y)]
    s.polyline(points, width=1.8)


def _led(s: Svg, x: float, y: float, colour: str, reverse: bool) -> float:
    """An LED symbol at ``x`` (anode on the left unless ``reverse``); returns where its right terminal is."""
    tip, base = (x + 24, x) if not reverse else (x, x + 24)
    s.polygon([(base, y - 10), (base, y + 10), (tip, y)], fill=colour)
    s.line(tip, y - 10, tip, y + 10, width=2)
    for dx in (6, 13):
        s.line(x + dx, y - 12, x + dx + 7, y - 21, width=1.2)
        s.polygon([(x + dx + 7, y - 21), (x + dx + 2, y - 19), (x + dx + 6, y - 15)], fill=INK, width=0.8)
    return x + 24


def _switch(s: Svg, x: float, y: float) -> float:
    s.circle(x + 3, y, 3, fill="#ffffff")
    s.circle(x + 37, y, 3, fill="#ffffff")
    s.line(x + 3, y - 10, x + 37, y - 10, width=2)
    s.line(x + 20, y - 10, x + 20, y - 20, width=2)
    s.line(x + 12, y - 20, x + 28, y - 20, width=2)
    return x + 40


def _buzzer(s: Svg, x: float, y: float) -> float:
    s.rect(x, y - 12, 34, 24, fill="#eceff1", rx=4)
    s.text(x + 17, y + 4, "BZ", size=10, anchor="middle", weight="bold")
    return x + 34


class _Sheet:
    def __init__(self, wiring: Wiring, title: str) -> None:
        self.wiring, self.title, self.resistors = wiring, title, 0
        leads = sum(len(d.leads) + (1 if d.supply else 0) + (1 if d.shape == "module" else 0) for d in wiring.devices)
        self.height = 70 + (ROW if "3V3" in wiring.rails else 0) + len(wiring.devices) * TITLE + leads * ROW + 90
        self.height += 16 * sum(1 for d in wiring.devices if d.note)
        self.svg = Svg(600, self.height, f"Schematic: {title}")
        self.y = 70.0
        self.gnd_rows: list[float] = []
        self.v33_rows: list[float] = []

    def stub(self, y: float, label: str, colour: str) -> None:
        self.svg.text(PI_R - 12, y + 4, label, size=11, anchor="end", weight="bold")
        self.svg.circle(PI_R, y, 4, fill=colour, stroke=INK, width=1)

    def lead_row(self, d: Device, lead: Lead) -> float:
        s, y = self.svg, self.y + ROW / 2
        self.stub(y, f"{lead.pin.name} · pin {lead.pin.physical}", WIRE[lead.colour])
        s.line(PI_R + 4, y, 250, y)
        if lead.resistor_ohms:
            self.resistors += 1
            _zigzag(s, 250, y)
            s.text(280, y - 12, f"R{self.resistors} {lead.resistor_ohms} Ω", size=10, anchor="middle")
        else:
            s.line(250, y, 310, y)
        s.line(310, y, PART_X, y)
        s.text(316, y + 14, lead.label, size=9, fill=MUTED)
        if d.shape in ("rgb", "led"):
            end = _led(s, PART_X, y, WIRE[lead.colour] if d.shape == "rgb" else "#ffe0b2", reverse=d.returns == "3V3")
        elif d.shape == "button":
            end = _switch(s, PART_X, y)
        else:
            end = _buzzer(s, PART_X, y)
        if d.returns is not None:
            s.line(end, y, BUS[d.returns], y)
            s.circle(BUS[d.returns], y, 3, fill=INK)
            (self.gnd_rows if d.returns == "GND" else self.v33_rows).append(y)
        self.y += ROW
        return y

    def module(self, d: Device) -> None:
        s, top = self.svg, self.y + 8
        terminals = [(lead.label, lead.pin.name, lead.pin.physical, WIRE[lead.colour]) for lead in d.leads]
        if d.supply:
            terminals.append(("VCC", d.supply, self.wiring.rails[d.supply], WIRE[d.supply]))
        s.rect(PART_X, top, 110, len(terminals) * ROW + ROW - 16, fill="#eceff1", rx=4)
        for i, (terminal, name, physical, colour) in enumerate(terminals):
            y = self.y + ROW / 2 + i * ROW
            self.stub(y, f"{name} · pin {physical}", colour)
            s.line(PI_R + 4, y, PART_X, y)
            s.text(PART_X + 6, y + 4, terminal, size=10)
        y = self.y + ROW / 2 + len(terminals) * ROW
        s.text(PART_X + 104, y + 4, "GND", size=10, anchor="end")
        s.line(PART_X + 110, y, BUS["GND"], y)
        s.circle(BUS["GND"], y, 3, fill=INK)
        self.gnd_rows.append(y)
        self.y += (len(terminals) + 1) * ROW

    def device(self, d: Device) -> None:
        self.svg.text(PI_R + 20, self.y + 16, f"{d.name}: {d.part}", size=11, weight="bold")
        self.y += TITLE
        if d.shape == "module":
            self.module(d)
            return
        first = self.y
        for lead in d.leads:
            self.lead_row(d, lead)
        if d.shape == "rgb":
            self.svg.rect(PART_X - 8, first + 2, 50, self.y - first - 4, dash="4 3", stroke=MUTED, width=1)
            self.svg.text(PART_X + 46, first + 14, "one RGB LED", size=9, fill=MUTED)

    def rails(self) -> None:
        s = self.svg
        if self.v33_rows:
            y = 70 + ROW / 2
            self.stub(y, f"3V3 · pin {self.wiring.rails['3V3']}", WIRE["3V3"])
            s.polyline([(PI_R + 4, y), (BUS["3V3"], y), (BUS["3V3"], max(self.v33_rows))], stroke=WIRE["3V3"])
        if self.gnd_rows:
            y = self.y + ROW / 2
            self.stub(y, f"GND · pin {self.wiring.rails['GND']}", WIRE["GND"])
            s.polyline([(PI_R + 4, y), (BUS["GND"], y), (BUS["GND"], min(self.gnd_rows))])
            s.line(BUS["GND"], y, BUS["GND"], y + 12)
            for i, half in enumerate((12, 8, 4)):
                s.line(BUS["GND"] - half, y + 12 + i * 4, BUS["GND"] + half, y + 12 + i * 4)
            self.y += ROW


def schematic(wiring: Wiring, title: str) -> str:
    """The schematic of ``wiring`` as SVG text."""
    sheet = _Sheet(wiring, title)
    s = sheet.svg
    s.text(20, 24, f"Schematic: {title}", size=14, weight="bold")
    s.text(20, 42, "Pins as BCM name · physical pin number on the 40-pin header. Ω: ohms.", size=10, fill=MUTED)
    if "3V3" in wiring.rails:
        sheet.y += ROW
    for d in wiring.devices:
        sheet.device(d)
    sheet.rails()
    s.rect(PI_X, 56, PI_R - PI_X, max(sheet.y - 50, 60), fill="none", stroke=INK, width=2, rx=6)
    s.text(PI_X + 10, 74, "Raspberry Pi", size=12, weight="bold")
    y = sheet.y + 28
    for d in wiring.devices:
        if d.note:
            s.text(20, y, f"{d.name}: {d.note}", size=10, fill=MUTED)
            y += 16
    if not wiring.devices:
        s.text(PI_R + 20, 90, "This config drives no GPIO pins: nothing to wire.", size=13, weight="bold")
    return s.to_string()
