"""A small SVG writer on ElementTree: escaped text, presentation attributes only (no <style>, no script), so
the drawings show the same in a browser, on GitHub, in an <img> under the dashboard's CSP, and byte for byte
the same on every run.

>>> svg = Svg(40, 20, "demo")
>>> svg.text(2, 12, "GPIO17 & pin 11")
>>> print(svg.to_string().splitlines()[-2])
  <text x="2" y="12" font-size="11" fill="#1d2330">GPIO17 &amp; pin 11</text>
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
INK = "#1d2330"
MUTED = "#5b6478"


def num(value: float) -> str:
    """A coordinate without trailing zeros.

    >>> num(3.0), num(2.25), num(1 / 3)
    ('3', '2.25', '0.33')
    """
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Svg:
    """An SVG document; shapes are added in drawing order."""

    def __init__(self, width: float, height: float, title: str) -> None:
        self.root = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "width": num(width), "height": num(height),
                                       "viewBox": f"0 0 {num(width)} {num(height)}", "role": "img", "font-family": FONT})
        ET.SubElement(self.root, "title").text = title
        ET.SubElement(self.root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})

    def _add(self, tag: str, attrs: dict[str, str | float | None]) -> ET.Element:
        return ET.SubElement(self.root, tag, {k.replace("_", "-"): v if isinstance(v, str) else num(v) for k, v in attrs.items()
                                              if v is not None})

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = INK, width: float = 2) -> None:
        self._add("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "stroke": stroke, "stroke_width": width, "stroke_linecap": "round"})

    def polyline(self, points: list[tuple[float, float]], stroke: str = INK, width: float = 2, fill: str = "none") -> None:
        self._add("polyline", {"points": " ".join(f"{num(x)},{num(y)}" for x, y in points), "fill": fill, "stroke": stroke,
                               "stroke_width": width, "stroke_linejoin": "round", "stroke_linecap": "round"})

    def rect(self, x: float, y: float, w: float, h: float, fill: str = "none", stroke: str | None = INK, width: float = 1.5,
             rx: float = 0, dash: str | None = None) -> None:
        self._add("rect", {"x": x, "y": y, "width": w, "height": h, "rx": rx or None, "fill": fill, "stroke": stroke,
                           "stroke_width": width if stroke else None, "stroke_dasharray": dash})

    def circle(self, cx: float, cy: float, r: float, fill: str = "none", stroke: str | None = INK, width: float = 1.5) -> None:
        self._add("circle", {"cx": cx, "cy": cy, "r": r, "fill": fill, "stroke": stroke, "stroke_width": width if stroke else None})

    def polygon(self, points: list[tuple[float, float]], fill: str = "none", stroke: str = INK, width: float = 1.5) -> None:
        self._add("polygon", {"points": " ".join(f"{num(x)},{num(y)}" for x, y in points), "fill": fill, "stroke": stroke,
                              "stroke_width": width, "stroke_linejoin": "round"})

    def path(self, d: str, fill: str = "none", stroke: str | None = None) -> None:
        self._add("path", {"d": d, "fill": fill, "stroke": stroke})

    def text(self, x: float, y: float, content: str, size: float = 11, anchor: str | None = None, weight: str | None = None,
             fill: str = INK, rotate: float | None = None) -> None:
        transform = f"rotate({num(rotate)} {num(x)} {num(y)})" if rotate is not None else None
        node = self._add("text", {"x": x, "y": y, "font_size": size, "text_anchor": anchor, "font_weight": weight, "fill": fill,
                                  "transform": transform})
        node.text = content

    def to_string(self) -> str:
        ET.indent(self.root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(self.root, encoding="unicode") + "\n"
