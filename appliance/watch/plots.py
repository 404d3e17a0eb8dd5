"""Small SVG and HTML pictures for the notebook's live view: nothing to install beyond ipywidgets, which shows them.

>>> curve = [Point(100, 0.40, 0.30, 0.52, 0.35), Point(200, 0.48, 0.41, 0.55, 0.34), Point(300, 0.55, 0.50, 0.60, 0.36)]
>>> svg = reward_chart(curve)
>>> svg.count("<polygon"), svg.count("<polyline"), "0.55" in svg
(1, 2, True)
>>> "width:75.0%" in share_bars({"warm": 3, "cool": 1})
True
>>> "<td>warm</td>" in decisions_table([{"event_id": "e1", "action": "warm", "probability": 0.9, "reward": None}])
True
"""

from __future__ import annotations

import html
from typing import Any, Mapping, NamedTuple, Sequence

WIDTH, HEIGHT, MARGIN = 560, 220, 36
COLOURS = ("#1565c0", "#c2185b", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#546e7a")


class Point(NamedTuple):
    """The policy's reward after ``step`` joined events, its confidence band, and uniform random's estimate."""

    step: int
    reward: float
    lower: float
    upper: float
    random: float


def _scale(values: Sequence[float], low: float, high: float, out_low: float, out_high: float) -> list[float]:
    span = (high - low) or 1.0
    return [out_low + (v - low) / span * (out_high - out_low) for v in values]


def reward_chart(curve: Sequence[Point]) -> str:
    """The reward (line) inside its confidence band (shaded), and random's (dashed), against joined events."""
    if not curve:
        return f'<svg width="{WIDTH}" height="{HEIGHT}"><text x="10" y="20">waiting for joined events...</text></svg>'
    steps = [p.step for p in curve]
    low = min(min(p.lower, p.random) for p in curve)
    high = max(max(p.upper, p.random) for p in curve)
    xs = _scale(steps, min(steps), max(steps), MARGIN, WIDTH - 10)

    def ys(values: Sequence[float]) -> list[float]:
        return _scale(values, low, high, HEIGHT - 24, 10)

    def path(values: Sequence[float]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys(values)))

    band = path([p.upper for p in curve]) + " " + " ".join(
        f"{x:.1f},{y:.1f}" for x, y in reversed(list(zip(xs, ys([p.lower for p in curve])))))
    last = curve[-1]
    return (f'<svg width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">'
            f'<polygon points="{band}" fill="#1565c0" fill-opacity="0.18" stroke="none"/>'
            f'<polyline points="{path([p.random for p in curve])}" fill="none" stroke="#888" stroke-dasharray="4 3"/>'
            f'<polyline points="{path([p.reward for p in curve])}" fill="none" stroke="#1565c0" stroke-width="2"/>'
            f'<text x="2" y="14">{high:.2f}</text><text x="2" y="{HEIGHT - 24}">{low:.2f}</text>'
            f'<text x="{MARGIN}" y="{HEIGHT - 6}">{min(steps)}</text>'
            f'<text x="{WIDTH - 10}" y="{HEIGHT - 6}" text-anchor="end">{max(steps)} joined events</text>'
            f'<text x="{MARGIN + 8}" y="24" fill="#1565c0">reward {last.reward:.3f} [{last.lower:.3f}, {last.upper:.3f}]</text>'
            f'<text x="{MARGIN + 8}" y="38" fill="#666">random {last.random:.3f}</text></svg>')


def share_bars(counts: Mapping[str, int]) -> str:
    """Each action's share of the recent decisions, as bars."""
    total = sum(counts.values()) or 1
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px"><span style="width:90px">{html.escape(action)}</span>'
        f'<span style="flex:1;background:#eee"><span style="display:block;height:12px;width:{100 * n / total:.1f}%;'
        f'background:{COLOURS[i % len(COLOURS)]}"></span></span><span style="width:48px">{100 * n / total:.1f}%</span></div>'
        for i, (action, n) in enumerate(sorted(counts.items())))
    return f'<div style="width:{WIDTH}px;font-family:sans-serif;font-size:12px">{rows}</div>'


def decisions_table(decisions: Sequence[Mapping[str, Any]]) -> str:
    """The latest decisions, newest first: action, probability, and the reward once joined."""
    rows = "".join(
        f"<tr><td>{html.escape(str(d.get('event_id', ''))[:12])}</td><td>{html.escape(str(d.get('action')))}</td>"
        f"<td>{float(d.get('probability', 0.0)):.3f}</td>"
        f"<td>{'' if d.get('reward') is None else format(float(d['reward']), '.2f')}</td></tr>"
        for d in decisions)
    return ('<table style="font-family:monospace;font-size:12px"><tr><th>event</th><th>action</th><th>probability</th>'
            f"<th>reward</th></tr>{rows}</table>")
