"""The varinfo table: one row per term and sub-model, columnar (numpy), sorted and filtered as views.

Columns: ``name`` (``room^dark*colour^warm``; ``None`` for a weight no observed term explains), ``namespace``,
``model`` (the sub-model: a class, a bag, a cover), ``index`` (the weight's index, as ``--invert_hash`` numbers
it), ``min`` and ``max`` (observed values), ``count`` (occurrences), ``weight``, ``relscore`` (vw-varinfo's:
100 * weight / max |weight| over the named terms, the Constant shown as 0) and ``importance``: |weight| times
the range of the values the term takes, absence (0) included, i.e. how far the term can move a prediction.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

if TYPE_CHECKING:
    from appliance.introspect.layout import ModelLayout
    from appliance.introspect.observed import Observations

SORT_KEYS = ("importance", "weight", "abs_weight", "relscore", "name", "index", "count")
COLUMNS = ("name", "namespace", "model", "index", "min", "max", "count", "weight", "relscore", "importance")
DIFF_COLUMNS = ("before", "after", *COLUMNS)
REWARD_NOTE = ("contextual bandit: weights are shown in reward space (VW learns costs; the appliance's cost is -reward, "
               "so a positive weight raises the expected reward)")


@dataclass(frozen=True)
class Varinfo:
    layout: ModelLayout
    observations: Observations
    term: np.ndarray
    model: np.ndarray
    index: np.ndarray
    weight: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    count: np.ndarray
    relscore: np.ndarray
    importance: np.ndarray
    order: np.ndarray
    """The rows of this view, in order (views share the columns)."""
    before: np.ndarray | None = None
    """In a diff (:func:`~appliance.introspect.varinfo.diff`): the first model's weight; ``weight`` is the change."""
    warning: str | None = None
    """In a diff: the VW options the two models were made with that differ, when any do."""

    def __len__(self) -> int:
        return len(self.order)

    @property
    def note(self) -> str | None:
        return REWARD_NOTE if self.layout.reward_space else None

    @property
    def unnamed(self) -> int:
        """Non-zero weights no observed term explains (their names cannot be known without the data that made them)."""
        return int((self.term[self.order] < 0).sum())

    def sorted(self, by: str = "importance") -> Varinfo:
        """Largest first for numbers (``abs_weight``: by |weight|), A-Z for names; unknown values last."""
        rows = self.order
        if by == "name":
            keys = [self.name(r) or "\uffff" for r in rows]
            return replace(self, order=rows[np.argsort(np.array(keys, dtype=object), kind="stable")])
        if by not in SORT_KEYS:
            raise ValueError(f"cannot sort by {by!r}; choose one of {', '.join(SORT_KEYS)}")
        column = np.abs(self.weight) if by == "abs_weight" else getattr(self, by)
        values = np.nan_to_num(column[rows].astype(np.float64), nan=-np.inf)
        return replace(self, order=rows[np.argsort(values if by == "index" else -values, kind="stable")])

    def filter(self, namespace: str | None = None, search: str | None = None) -> Varinfo:
        """Rows whose term crosses ``namespace`` and whose name contains ``search`` (any case)."""
        keep = []
        needle = search.lower() if search else None
        for r in self.order:
            name = self.name(r)
            if namespace is not None and namespace not in self.namespace(r).split("*"):
                continue
            if needle is not None and (name is None or needle not in name.lower()):
                continue
            keep.append(r)
        return replace(self, order=np.array(keep, dtype=np.int64))

    def top(self, n: int, offset: int = 0) -> Varinfo:
        return replace(self, order=self.order[offset:offset + n])

    def name(self, row: int) -> str | None:
        term = int(self.term[row])
        return self.observations.name(term) if term >= 0 else None

    def namespace(self, row: int) -> str:
        term = int(self.term[row])
        return self.observations.features.term_namespace(self.observations.ids[term]) if term >= 0 else "?"

    def record(self, row: int) -> dict[str, Any]:
        def number(x: Any) -> float | None:
            return None if np.isnan(x) else float(x)
        model = int(self.model[row])
        changed = {} if self.before is None else {"before": float(self.before[row]), "after": float(self.before[row] + self.weight[row])}
        return {**changed, "name": self.name(row), "namespace": self.namespace(row),
                "model": self.layout.sub_models[model] if model >= 0 else "?", "index": int(self.index[row]),
                "min": number(self.lo[row]), "max": number(self.hi[row]), "count": int(self.count[row]),
                "weight": float(self.weight[row]), "relscore": number(self.relscore[row]), "importance": number(self.importance[row])}

    def records(self) -> list[dict[str, Any]]:
        return [self.record(r) for r in self.order]

    def to_json(self) -> str:
        warning = {"warning": self.warning} if self.warning else {}
        return orjson.dumps({"model": self.layout.arguments, "kind": self.layout.kind, "note": self.note, **warning,
                             "sub_models": self.layout.sub_models, "unnamed": self.unnamed, "rows": self.records()}).decode()

    def to_csv(self) -> str:
        return format_csv(self.records())

    def to_text(self) -> str:
        return format_text(self.records(), self.note, len(self.layout.sub_models) > 1, self.unnamed)


def format_csv(records: list[dict[str, Any]]) -> str:
    """Rows as CSV, with the table's columns (a diff's ``before`` and ``after`` first)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, DIFF_COLUMNS if records and "before" in records[0] else COLUMNS, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return out.getvalue()


def format_text(records: list[dict[str, Any]], note: str | None, multi: bool, unnamed: int) -> str:
    """vw-varinfo's layout (FeatureName HashVal MinVal MaxVal Weight RelScore) with Importance, the sub-model after
    the name when there are several, a diff's Before, After and Change."""
    lines = [f"# {note}"] if note else []
    diff = bool(records) and "before" in records[0]
    labels = [(r["name"] or "(unknown: not in the data)") + (f"[{r['model']}]" if multi else "") for r in records]
    width = max([len("FeatureName"), *map(len, labels)])
    weight = f"{'Before':>10} {'After':>10} {'Change':>10}" if diff else f"{'Weight':>10}"
    lines.append(f"{'FeatureName':<{width}} {'HashVal':>8} {'MinVal':>9} {'MaxVal':>9} {weight} {'RelScore':>8} {'Importance':>10}")
    for label, r in zip(labels, records):
        weights = f"{r['before']:>10.6f} {r['after']:>10.6f} {r['weight']:>+10.6f}" if diff else f"{r['weight']:>10.6f}"
        lines.append(f"{label:<{width}} {r['index']:>8} {_fmt(r['min'])} {_fmt(r['max'])} {weights} "
                     f"{_fmt(r['relscore'], 8, 2)} {_fmt(r['importance'], 10, 6)}")
    if unnamed:
        lines.append(f"# {unnamed} non-zero weight(s) belong to terms not in the data read: their names cannot be known")
    return "\n".join(lines) + "\n"


def _fmt(value: float | None, width: int = 9, digits: int = 4) -> str:
    return f"{'?':>{width}}" if value is None else f"{value:>{width}.{digits}f}"
