"""The breadboard view: the Pi's 40-pin header (every pin numbered, the used ones named), a half-size breadboard,
and each part where it goes, with the jumper wires between them.

Layout, one device after the other from column 3: a lead's jumper lands in row a of its column; its resistor
bridges the centre gap in that column; the part's legs sit in the lower half (an RGB LED as red, common, green,
blue in four columns); the return leg's column is wired to the lower ground rail, which a jumper feeds from a
GND pin. A push button straddles the gap. Modules (relay, servo, sensor) sit below the board, wired directly.

>>> from appliance.config import load_config_text
>>> from appliance.kit.wiring import wiring_of
>>> svg = breadboard(wiring_of(load_config_text("feedback: [{type: button, pin: 2}]")), "demo")
>>> all(s in svg for s in ("GPIO2 · pin 3", "GND · pin 6", "push button"))
True
>>> bands(220), bands(10_000)
(['#d32f2f', '#d32f2f', '#6d4c41'], ['#6d4c41', '#212121', '#ef6c00'])
"""

from __future__ import annotations

from appliance.kit.header import names, position
from appliance.kit.svg import MUTED, Svg, num
from appliance.kit.wiring import WIRE, Device, Wiring

P = 20  # hole and pin pitch (0.1 inch)
HX0 = 70  # x of the header's first column
HY = 150  # y of the header's odd row; the even row is one pitch below
BX0 = HX0 + 5  # the breadboard's first column, off the header's grid so wires never run on top of each other
PIN_FILL = {"GND": "#212121", "3V3": "#ff8f00", "5V": "#c62828"}
BAND = ["#212121", "#6d4c41", "#d32f2f", "#ef6c00", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#757575", "#fafafa"]
WIDTH = {"rgb": 4, "led": 2, "button": 3, "two": 1, "module": 3}


def bands(ohms: int) -> list[str]:
    """The three colour bands of a resistor value (two digits and a multiplier)."""
    digits = str(ohms)
    return [BAND[int(digits[0])], BAND[int(digits[1]) if len(digits) > 1 else 0], BAND[max(len(digits) - 2, 0)]]


def pin_xy(physical: int) -> tuple[float, float]:
    row, column = position(physical)
    return HX0 + (row - 1) * P, HY + (column - 1) * P


class _Board:
    def __init__(self, wiring: Wiring, title: str) -> None:
        self.wiring = wiring
        self.wires = len(wiring.pins()) + len(wiring.rails) + sum(1 for d in wiring.devices if d.supply)
        self.top = HY + P + 20 + self.wires * 8 + 20  # the breadboard's top edge
        self.columns = max(30, 3 + sum(WIDTH[d.shape] + 1 for d in wiring.devices))
        modules = any(d.shape == "module" for d in wiring.devices)
        height = self.top + 45 + 10 * P + 40 + (70 if modules else 0) + 16 * len(wiring.devices) + 40
        self.svg = Svg(BX0 + self.columns * P + 30, height, f"Breadboard view: {title}")
        self.lane = 0
        self.svg.text(20, 24, f"Breadboard view: {title}", size=14, weight="bold")

    def x(self, column: int) -> float:
        return BX0 + (column - 1) * P

    def y(self, row: str) -> float:
        """a-e above the centre gap, f-j below it; '+' and '-' the rails (top pair above a, bottom pair below j)."""
        rows = {"+": -44, "-": -32, "a": 0, "b": 1, "c": 2, "d": 3, "e": 4, "f": 6, "g": 7, "h": 8, "i": 9, "j": 10}
        if row in ("bottom+", "bottom-"):
            return self.top + 45 + 10 * P + (20 if row == "bottom+" else 32)
        return self.top + 45 + rows[row] * P if rows[row] >= 0 else self.top + 45 + rows[row]

    def header(self) -> None:
        s = self.svg
        s.rect(HX0 - 30, 34, 20 * P + 40, HY + P - 14, fill="#e8f5e9", stroke="#2e7d32", rx=8)
        s.text(HX0 - 20, 52, "Raspberry Pi: 40-pin header (pin 1 has the square pad)", size=11, weight="bold", fill="#1b5e20")
        used = {lead.pin.physical: lead.colour for d in self.wiring.devices for lead in d.leads}
        used.update({pin: rail for rail, pin in self.wiring.rails.items()})
        for physical, name in names().items():
            x, y = pin_xy(physical)
            fill = WIRE[used[physical]] if physical in used else PIN_FILL.get(name, "#bdbdbd")
            s.rect(x - 6, y - 6, 12, 12, fill=fill, stroke="#424242", width=1, rx=0 if physical == 1 else 6)
            s.text(x, y + 3, str(physical), size=7, anchor="middle", fill="#ffffff" if fill != "#bdbdbd" else "#212121")
            label, bold = (f"{name} · pin {physical}", "bold") if physical in used else (name, None)
            s.text(x + (3 if physical % 2 else 13), HY - 12, label, size=9, weight=bold, fill="#1d2330" if bold else MUTED, rotate=-90)

    def jumper(self, physical: int, colour: str, to: tuple[float, float], via_left: float | None = None) -> None:
        """A wire from a header pin, down its own lane, to a point (around the board's left edge if ``via_left``)."""
        x, y = pin_xy(physical)
        lane = HY + P + 20 + self.lane * 8
        self.lane += 1
        points = [(x, y), (x + P / 2, y + P / 2), (x + P / 2, lane)] if physical % 2 else [(x, y), (x, lane)]
        if via_left is not None:
            points += [(via_left, lane), (via_left, to[1])]
        else:
            points += [(to[0], lane)]
        self.svg.polyline(points + [to], stroke=WIRE[colour], width=3)

    def breadboard(self) -> None:
        s, top, right = self.svg, self.top, self.x(self.columns)
        s.rect(BX0 - 20, top, right - BX0 + 40, 10 * P + 45 + 32 + 14, fill="#f5f5f0", stroke="#9e9e9e", rx=6)  # to just below the bottom - rail
        s.rect(BX0 - 20, self.y("e") + P / 2, right - BX0 + 40, P, fill="#e0e0d8", stroke=None)
        for rail, colour in (("+", "#c62828"), ("-", "#1565c0"), ("bottom+", "#c62828"), ("bottom-", "#1565c0")):
            s.line(BX0 - 10, self.y(rail) + (-7 if "+" in rail else 7), right + 10, self.y(rail) + (-7 if "+" in rail else 7),
                   stroke=colour, width=1)
            s.text(BX0 - 16, self.y(rail) + 4, "+" if "+" in rail else "−", size=11, anchor="middle", fill=colour, weight="bold")
        holes = []
        for column in range(1, self.columns + 1):
            if column == 1 or column % 5 == 0:
                s.text(self.x(column), self.y("a") - 10, str(column), size=8, anchor="middle", fill=MUTED)
            for row in ("+", "-", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "bottom+", "bottom-"):
                holes.append(f"M{num(self.x(column) - 2.5)} {num(self.y(row) - 2.5)}h5v5h-5z")
        s.path("".join(holes), fill="#424242")  # one path: 400-odd holes stay a few kilobytes
        for row in "abcdefghij":
            s.text(BX0 - 12, self.y(row) + 3, row, size=8, anchor="middle", fill=MUTED)

    def resistor(self, column: int, ohms: int) -> None:
        s, x, y1, y2 = self.svg, self.x(column), self.y("e"), self.y("f")
        s.line(x, y1, x, y2, stroke="#757575", width=1.5)
        s.rect(x - 5, y1 + 8, 10, y2 - y1 - 16, fill="#e6c99a", stroke="#8d6e63", width=1, rx=3)
        for i, colour in enumerate(bands(ohms)):
            s.rect(x - 5, y1 + 12 + i * 5, 10, 2.5, fill=colour, stroke=None)
        s.text(x + 9, y2 - 2, f"{ohms} Ω", size=8, fill="#4e342e", rotate=-90)

    def return_wire(self, column: int, rail: str) -> None:
        x = self.x(column)
        if rail == "GND":
            self.svg.line(x, self.y("j"), x, self.y("bottom-"), stroke=WIRE["GND"], width=3)
        else:  # up across the board to the top + rail (3V3)
            self.svg.polyline([(x, self.y("f")), (x + P / 2, self.y("f") - P / 2), (x + P / 2, self.y("+") + P / 2), (x, self.y("+"))],
                              stroke=WIRE[rail], width=3)

    def device(self, d: Device, column: int) -> None:
        s, lead_columns = self.svg, {"rgb": [column, column + 2, column + 3], "led": [column], "button": [column], "two": [column]}
        for lead, c in zip(d.leads, lead_columns.get(d.shape, [])):
            self.jumper(lead.pin.physical, lead.colour, (self.x(c), self.y("a")))
            if lead.resistor_ohms:
                self.resistor(c, lead.resistor_ohms)
        if d.shape in ("rgb", "led"):
            legs = [column, column + 1, column + 2, column + 3] if d.shape == "rgb" else [column, column + 1]
            cx, cy = (self.x(legs[0]) + self.x(legs[-1])) / 2, self.y("h") + 26
            for leg in legs:
                s.line(self.x(leg), self.y("h"), cx + (self.x(leg) - cx) * 0.4, cy - 8, stroke="#9e9e9e", width=1.5)
            s.circle(cx, cy, 9 + 4 * (len(legs) - 2), fill="#fffde7" if d.shape == "rgb" else "#ffe0b2", stroke="#8d6e63")
            self.return_wire(column + 1, d.returns or "GND")
        elif d.shape == "button":
            s.rect(self.x(column) - 4, self.y("e") - 4, 2 * P + 8, self.y("f") - self.y("e") + 8, fill="#eceff1", stroke="#37474f", rx=3)
            s.circle(self.x(column + 1), (self.y("e") + self.y("f")) / 2, 9, fill="#263238", stroke=None)
            self.return_wire(column + 2, d.returns or "GND")
        elif d.shape == "two":
            s.circle(self.x(column), (self.y("e") + self.y("f")) / 2, 12, fill="#37474f", stroke=None)
            s.text(self.x(column), (self.y("e") + self.y("f")) / 2 - 14, "+", size=10, anchor="middle", weight="bold")
            self.return_wire(column, d.returns or "GND")
        else:
            self.module(d, column)

    def module(self, d: Device, column: int) -> None:
        s, top = self.svg, self.y("bottom-") + 40
        terminals = [lead.label for lead in d.leads] + (["VCC"] if d.supply else []) + ["GND"]
        s.rect(self.x(column) - 10, top, (len(terminals) - 1) * P + 20, 40, fill="#eceff1", stroke="#37474f", rx=4)
        for i, name in enumerate(terminals):
            s.circle(self.x(column + i), top, 3, fill="#37474f", stroke=None)
            s.text(self.x(column + i), top + 16 + (i % 2) * 10, name, size=8, anchor="middle")
        for i, lead in enumerate(d.leads):
            self.jumper(lead.pin.physical, lead.colour, (self.x(column + i), top))
        if d.supply:
            self.jumper(self.wiring.rails[d.supply], d.supply, (self.x(column + len(d.leads)), top))
        s.line(self.x(column + len(terminals) - 1), top, self.x(column + len(terminals) - 1), self.y("bottom-"), stroke=WIRE["GND"], width=3)


def breadboard(wiring: Wiring, title: str) -> str:
    """The breadboard view of ``wiring`` as SVG text."""
    board = _Board(wiring, title)
    board.header()
    board.breadboard()
    column = 3
    for d in wiring.devices:
        board.device(d, column)
        column += WIDTH[d.shape] + 1
    for rail, pin in wiring.rails.items():  # rails feed the board's left end: GND the lower - rail, 3V3 the upper + rail
        if rail != "5V":
            to = (board.x(1), board.y("bottom-" if rail == "GND" else "+"))
            board.jumper(pin, rail, to, via_left=BX0 - (40 if rail == "GND" else 30))
    y = board.y("bottom-") + (110 if any(d.shape == "module" for d in wiring.devices) else 36)
    column = 3
    for d in wiring.devices:  # one line per device: where it sits, what it is, how to place it
        last = column + WIDTH[d.shape] - 1
        where = f"columns {column}-{last}" if last > column else f"column {column}"
        board.svg.text(20, y, f"{where}: {d.name}, {d.part}. {d.note}".rstrip(), size=10, fill=MUTED)
        column, y = last + 2, y + 16
    if not wiring.devices:
        board.svg.text(BX0, board.y("e") + 30, "This config drives no GPIO pins: nothing to wire.", size=13, weight="bold")
    return board.svg.to_string()
