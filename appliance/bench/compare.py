"""Compare two benchmark reports: per benchmark, the headline median of A (before) against B (after).

A figure *regressed* when it moved the wrong way by more than the threshold (a fraction of A). A benchmark
skipped in either report (its backend was missing) is compared with nothing:

>>> a = {"loop": {"unit": "events/s", "median": 1000.0}, "http": {"unit": "ms", "median": 2.0},
...      "old": {"unit": "ms", "median": 1.0}, "face": {"unit": "ms", "median": 5.0}}
>>> b = {"loop": {"unit": "events/s", "median": 850.0}, "http": {"unit": "ms", "median": 1.5},
...      "new": {"unit": "fps", "median": 30.0}, "face": {"skipped": "no TFLite runtime"}}
>>> changes = compare(a, b, threshold=0.10)
>>> [(c.name, c.verdict) for c in changes]
[('loop', 'regressed'), ('http', 'improved'), ('old', 'only in A'), ('face', 'skipped in B'), ('new', 'only in B')]
>>> print(table(changes))
benchmark  A     B    unit      change  verdict
loop       1000  850  events/s  -15.0%  regressed (higher is better)
http       2     1.5  ms        -25.0%  improved
old        1     -    ms        -       only in A
face       5     -    ms        -       skipped in B
new        -     30   fps       -       only in B
>>> [c.name for c in changes if c.verdict == "regressed"]
['loop']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from appliance.bench.history import Better, better
from appliance.bench.skip import skip_reason

Verdict = str  # "regressed" | "improved" | "within" | "only in A" | "only in B" | "skipped in A" | "skipped in B"
# | "skipped in A and B" | "no direction" | "no baseline"


@dataclass(frozen=True)
class Change:
    """One benchmark's headline figure in A and B; ``change`` is (B - A) / A."""

    name: str
    unit: str
    better: Better | None
    a: float | None
    b: float | None
    change: float | None
    verdict: Verdict

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _verdict(direction: Better | None, change: float, threshold: float) -> Verdict:
    if direction is None:
        return "no direction"
    gain = change if direction == "higher" else -change
    if gain < -threshold:
        return "regressed"
    if gain > threshold:
        return "improved"
    return "within"


def compare(a: dict[str, Any], b: dict[str, Any], threshold: float) -> list[Change]:
    """Per benchmark name in ``a`` or ``b`` (``results`` objects of two reports), A's names first."""
    changes = []
    for name in [*a, *(n for n in b if n not in a)]:
        ra, rb = a.get(name), b.get(name)
        measured = [r for r in (rb, ra) if r is not None and skip_reason(r) is None]
        newest = measured[0] if measured else {}
        direction, unit = better(newest), str(newest.get("unit", ""))
        va = float(ra["median"]) if ra is not None and skip_reason(ra) is None else None
        vb = float(rb["median"]) if rb is not None and skip_reason(rb) is None else None
        if ra is None or rb is None:
            changes.append(Change(name, unit, direction, va, vb, None, "only in B" if ra is None else "only in A"))
        elif va is None or vb is None:
            skipped = "A and B" if va is None and vb is None else "A" if va is None else "B"
            changes.append(Change(name, unit, direction, va, vb, None, f"skipped in {skipped}"))
        elif va == 0:
            changes.append(Change(name, unit, direction, va, vb, None, "within" if vb == 0 else "no baseline"))
        else:
            change = (vb - va) / abs(va)
            changes.append(Change(name, unit, direction, va, vb, change, _verdict(direction, change, threshold)))
    return changes


def table(changes: list[Change]) -> str:
    """A plain-text table: benchmark, A, B, unit, change in percent, verdict."""

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}"

    def verdict(c: Change) -> str:
        return f"regressed ({c.better} is better)" if c.verdict == "regressed" else c.verdict

    rows = [["benchmark", "A", "B", "unit", "change", "verdict"]]
    rows += [[c.name, num(c.a), num(c.b), c.unit, "-" if c.change is None else f"{c.change:+.1%}", verdict(c)]
             for c in changes]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] for row in rows)


def caveats(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Why two reports may not be comparable: a different mode, CPU or core count.

    >>> caveats({"quick": True, "machine": {"cpu": "A72"}}, {"quick": False, "machine": {"cpu": "A72"}})
    ['A ran with --quick and B without: fewer repeats make medians noisier']
    """
    notes = []
    if bool(a.get("quick")) != bool(b.get("quick")):
        first, second = ("A", "B") if a.get("quick") else ("B", "A")
        notes.append(f"{first} ran with --quick and {second} without: fewer repeats make medians noisier")
    ma, mb = a.get("machine") or {}, b.get("machine") or {}
    for key, what in (("cpu", "CPU"), ("cores", "core count"), ("machine", "architecture")):
        if ma.get(key) != mb.get(key):
            notes.append(f"different {what}: A {ma.get(key)!r}, B {mb.get(key)!r}")
    return notes
