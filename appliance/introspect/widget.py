"""A Jupyter widget (ipywidgets, the ``notebook`` extra) that browses a model and inspects one variable.

The whole model: a table sorted and filtered as you type (name, namespace, sort key), and a histogram of the
weights. One variable: every term it appears in (its crosses with each action's features, each class or bag
of an ensemble) with its weight, and the same terms across checkpoints. The logic is plain functions, so it is
tested without a browser:

>>> import vowpalwabbit
>>> from appliance.introspect import Observations, varinfo
>>> ws = vowpalwabbit.Workspace("--quiet --cb_explore_adf -q rc")
>>> ws.learn(["shared |room dark:0.5", "0:-1:0.5 |colour warm", "|colour cool"])
>>> seen = Observations.of(ws)
>>> seen.add_decision({"room": {"dark": 0.5}}, [{"colour": {"warm": 1}}, {"colour": {"cool": 1}}])
>>> [(r["term"], round(r["weight"], 3)) for r in variable_terms(varinfo(ws, seen), "room^dark")]
[('room^dark', 0.316), ('room^dark*colour^warm', 0.316), ('room^dark*colour^cool', 0.0)]
>>> counts, edges = weight_histogram(varinfo(ws, seen), bins=2)
>>> counts.tolist()
[2, 4]
>>> ws.finish()
"""

from __future__ import annotations

import html
from typing import Any, Mapping

import numpy as np

from appliance.introspect.table import SORT_KEYS, Varinfo


def variable_terms(table: Varinfo, feature: str) -> list[dict[str, Any]]:
    """Every named row whose term contains ``feature`` (``namespace^name``): the feature itself, then its crosses."""
    found = []
    for r in table.order:
        name = table.name(r)
        if name is not None and feature in name.split("*"):
            found.append({"term": name, "model": table.layout.sub_models[table.model[r]], "weight": float(table.weight[r])})
    return sorted(found, key=lambda f: (f["term"] != feature, -abs(f["weight"])))


def across(tables: Mapping[str, Varinfo], feature: str) -> dict[tuple[str, str], list[float]]:
    """``feature``'s terms in each table (checkpoints, oldest first): {(term, sub-model): [weight per table]}."""
    weights: dict[tuple[str, str], list[float]] = {}
    for i, table in enumerate(tables.values()):
        for row in variable_terms(table, feature):
            weights.setdefault((row["term"], row["model"]), [0.0] * len(tables))[i] = row["weight"]
    return weights


def weight_histogram(table: Varinfo, bins: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Counts and bin edges of the weights of the rows in view."""
    return np.histogram(table.weight[table.order], bins=bins)


def _svg_histogram(counts: np.ndarray, edges: np.ndarray, width: int = 420, height: int = 120) -> str:
    top = max(int(counts.max(initial=0)), 1)
    bar = width / max(len(counts), 1)
    rects = "".join(f'<rect x="{i * bar:.1f}" y="{height - 14 - (height - 20) * c / top:.1f}" width="{bar - 1:.1f}" '
                    f'height="{(height - 20) * c / top:.1f}" fill="#c2185b"><title>{edges[i]:.4g} to {edges[i + 1]:.4g}: {c}</title></rect>'
                    for i, c in enumerate(counts))
    labels = (f'<text x="0" y="{height - 2}" font-size="10">{edges[0]:.3g}</text>'
              f'<text x="{width}" y="{height - 2}" font-size="10" text-anchor="end">{edges[-1]:.3g}</text>') if len(edges) else ""
    return f'<svg width="{width}" height="{height}" role="img" aria-label="weight histogram">{rects}{labels}</svg>'


def _html_table(header: list[str], rows: list[list[Any]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + f"</tr></thead><tbody>{cells}</tbody></table>")


class ModelBrowser:
    """Browse ``table`` (the newest model) and inspect one variable, across ``checkpoints`` too (label -> table,
    oldest first). Display it as the last expression of a cell, or with ``display(browser.widget)``."""

    def __init__(self, table: Varinfo, checkpoints: Mapping[str, Varinfo] | None = None, rows: int = 20) -> None:
        import ipywidgets as w

        self.table, self.checkpoints, self.rows = table, dict(checkpoints or {}), rows
        namespaces = sorted({table.namespace(r) for r in table.order} - {"?"})
        self.search = w.Text(placeholder="search names", description="Search")
        self.namespace = w.Dropdown(options=["(all)", *namespaces], description="Namespace")
        self.sort = w.Dropdown(options=list(SORT_KEYS[:-2]), value="importance", description="Sort by")
        features = sorted({table.name(r) or "" for r in table.order if table.term[r] >= 0 and "*" not in (table.name(r) or "*")})
        self.variable = w.Dropdown(options=features, description="Variable")
        self.listing, self.histogram, self.inspector = w.HTML(), w.HTML(), w.HTML()
        for control in (self.search, self.namespace, self.sort):
            control.observe(lambda _: self.refresh(), names="value")
        self.variable.observe(lambda _: self.inspect(), names="value")
        note = w.HTML(f"<i>{html.escape(table.note)}</i>") if table.note else w.HTML()
        self.widget = w.VBox([note, w.HBox([self.search, self.namespace, self.sort]), self.histogram, self.listing,
                              w.HTML("<b>One variable</b>"), self.variable, self.inspector])
        self.refresh()
        self.inspect()

    def view(self) -> Varinfo:
        """The rows the controls select, sorted."""
        namespace = None if self.namespace.value == "(all)" else self.namespace.value
        return self.table.filter(namespace=namespace, search=self.search.value or None).sorted(self.sort.value)

    def refresh(self) -> None:
        view = self.view()
        records = view.top(self.rows).records()
        self.listing.value = _html_table(["feature", "model", "min", "max", "weight", "relscore", "importance"], [
            [r["name"] or "(unknown)", r["model"], r["min"], r["max"], f"{r['weight']:.5f}", r["relscore"] and f"{r['relscore']:.1f}",
             r["importance"] and f"{r['importance']:.5f}"] for r in records]) + f"<p>{len(view)} rows</p>"
        self.histogram.value = _svg_histogram(*weight_histogram(view))

    def inspect(self) -> None:
        feature = self.variable.value
        if not feature:
            self.inspector.value = ""
            return
        rows = [[r["term"], r["model"], f"{r['weight']:.5f}"] for r in variable_terms(self.table, feature)]
        out = _html_table(["term", "model", "weight"], rows)
        if self.checkpoints:
            history = across(self.checkpoints, feature)
            out += "<p>Across checkpoints</p>" + _html_table(
                ["term", "model", *self.checkpoints], [[term, model, *(f"{x:.5f}" for x in ws)] for (term, model), ws in history.items()])
        self.inspector.value = out

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
