"""Trend plots of a history folder: one PNG per benchmark and a static ``index.html`` (no JavaScript, no CDN).

Each plot shows the headline median of every run, oldest left, labelled with its date and git revision;
full runs and ``--quick`` runs are separate series (quick medians are noisier). Runs that skipped a benchmark
(its backend was missing) leave a gap; a benchmark no run measured gets a row saying why, and no plot.
matplotlib (the ``bench`` extra) is imported only here, with the Agg backend, so nothing needs a display.

>>> safe_name("featurizers.audio/vs librosa")
'featurizers.audio_vs_librosa'
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from appliance.bench.history import BenchToolError, better, load_history
from appliance.bench.skip import skip_reason

Run = tuple[str, dict[str, Any]]  # (label "MM-DD rev", report)


def safe_name(name: str) -> str:
    """A file name for a benchmark name: anything but letters, digits, ``.``, ``_`` and ``-`` becomes ``_``."""
    return re.sub(r"[^0-9A-Za-z._-]+", "_", name)


def _label(report: dict[str, Any]) -> str:
    machine = report.get("machine") or {}
    when = str(machine.get("time") or "")
    name = report.get("label") or machine.get("git_revision") or "norev"  # a --vw run's reports: the release
    return f"{when[5:10] or '?'}\n{name}"


def _measured(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The report's result for ``name`` if it has one with a figure (not skipped)."""
    result = report["results"].get(name)
    return result if result is not None and skip_reason(result) is None else None


def _plot(name: str, runs: list[Run], out: Path) -> Path:
    try:
        import matplotlib
    except ImportError:
        raise BenchToolError("trend plots need matplotlib: pip install 'raspberry-wabbit[bench]'") from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    latest = next(result for _, report in reversed(runs) if (result := _measured(report, name)))
    direction = better(latest)
    figure, axes = pyplot.subplots(figsize=(8, 3.6), dpi=100)
    try:
        for quick, style, title in ((False, "o-", "full"), (True, "s--", "--quick")):
            points = [(i, result["median"]) for i, (_, report) in enumerate(runs)
                      if (result := _measured(report, name)) and bool(report.get("quick")) == quick]
            if points:
                axes.plot([x for x, _ in points], [y for _, y in points], style, label=title)
        axes.set_xticks(range(len(runs)), [label for label, _ in runs], fontsize=7)
        axes.set_ylabel(str(latest.get("unit", "")))
        suffix = f" ({direction} is better)" if direction else ""
        axes.set_title(f"{name}{suffix}", fontsize=10)
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = out / f"{safe_name(name)}.png"
        figure.savefig(path)
    finally:
        pyplot.close(figure)
    return path


def _num(x: Any) -> str:
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return "-"
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def _row(name: str, runs: list[Run]) -> list[str]:
    """The index's cells for one benchmark: its latest measured run, or why the latest run skipped it."""
    present = [(label, report) for label, report in runs if _measured(report, name)]
    if not present:
        label, report = next((label, report) for label, report in reversed(runs) if name in report["results"])
        reason = f"skipped: {skip_reason(report['results'][name])}"
        return [html.escape(name), html.escape(reason), "", "", "-", "-", html.escape(label.replace("\n", " "))]
    label, report = present[-1]
    result = report["results"][name]
    previous = present[-2][1]["results"][name]["median"] if len(present) > 1 else None
    change = f"{(result['median'] - previous) / abs(previous):+.1%}" if previous else "-"
    return [f'<a href="#{html.escape(safe_name(name))}">{html.escape(name)}</a>', _num(result["median"]),
            html.escape(str(result.get("unit", ""))), html.escape(better(result) or "?"), change,
            _num(result.get("ratio")), html.escape(label.replace("\n", " "))]


def _index(names: list[str], runs: list[Run], pngs: dict[str, Path]) -> str:
    rows = ["<tr>" + "".join(f"<td>{cell}</td>" for cell in _row(name, runs)) + "</tr>" for name in names]
    figures = [f'<h2 id="{html.escape(safe_name(name))}">{html.escape(name)}</h2>\n'
               f'<img src="{html.escape(pngs[name].name)}" alt="trend of {html.escape(name)}">' for name in names if name in pngs]
    latest = runs[-1][1].get("machine") or {}
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8"><title>wabbit bench trends</title>',
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}</style></head><body>",
        "<h1>wabbit bench trends</h1>",
        f"<p>{len(runs)} runs; latest on {html.escape(str(latest.get('cpu') or '?'))}, "
        f"{html.escape(str(latest.get('time') or '?'))}, revision {html.escape(str(latest.get('git_revision')))}.</p>",
        "<table><tr><th>benchmark</th><th>latest median</th><th>unit</th><th>better</th>"
        "<th>vs previous run</th><th>ratio</th><th>run</th></tr>", *rows, "</table>", *figures, "</body></html>", ""])


def trend(history: Path, out: Path) -> Path:
    """Write ``out/<benchmark>.png`` for every benchmark in the ``history`` folder and ``out/index.html``."""
    runs: list[Run] = [(_label(report), report) for _, report in load_history(history)]
    names = list(dict.fromkeys(name for _, report in runs for name in report["results"]))
    try:
        out.mkdir(parents=True, exist_ok=True)
        pngs = {name: _plot(name, runs, out) for name in names if any(_measured(report, name) for _, report in runs)}
        index = out / "index.html"
        index.write_text(_index(names, runs, pngs))
    except OSError as err:
        raise BenchToolError(f"cannot write the trend into {out}: {err}; pass another --out DIR") from None
    return index
