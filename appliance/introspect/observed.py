"""The terms a stream of examples brought, with the range of each term's values: the names and ranges half of
vw-varinfo, gathered in one read of the data (no audit pass, no second pass through VW).

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet --cb_explore_adf --interactions :c")
>>> seen = Observations.of(ws)
>>> seen.add_decision({"room": {"dark": 0.5}}, [{"colour": {"warm": 1.0}}, {"colour": {"cool": 1.0}}])
>>> seen.add_decision({"room": {"dark": 0.25}}, [{"colour": {"warm": 1.0}}, {"colour": {"cool": 1.0}}])
>>> [(seen.name(row), seen.lo[row], seen.hi[row], seen.count[row]) for row in range(3)]
[('colour^warm', 1.0, 1.0, 2), ('room^dark', 0.25, 0.5, 4), ('Constant', 1.0, 1.0, 4)]
>>> seen.name(4), seen.examples, len(seen)
('room^dark*colour^warm', 2, 8)
>>> ws.finish()
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from appliance.introspect.layout import ModelLayout
from appliance.introspect.terms import Features, Namespaces

FeatureDict = Mapping[str, Mapping[str, float]]


def namespaces(features: FeatureDict) -> list[tuple[str, list[tuple[str, float]]]]:
    """``{namespace: {name: value}}`` (the appliance's shape) as an example's namespaces, in order."""
    return [(ns, list(values.items())) for ns, values in features.items()]


class Observations:
    """Every distinct term seen (by name: two names hashed to one weight stay two rows), its value range and count."""

    def __init__(self, features: Features) -> None:
        self.features = features
        self._rows: dict[tuple[int, ...], int] = {}
        self.ids: list[tuple[int, ...]] = []
        self.keys: list[int] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.count: list[int] = []
        self.examples = 0

    @classmethod
    def of(cls, workspace: Any, layout: ModelLayout | None = None) -> Observations:
        """Observations hashed the way ``workspace``'s model hashes (its options, read from it, or ``layout``)."""
        return cls(Features(workspace, layout))

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, ids: tuple[int, ...]) -> int:
        """The row of the term made of the features ``ids``; -1 if it was not seen."""
        return self._rows.get(ids, -1)

    def name(self, row: int) -> str:
        return self.features.term_name(self.ids[row])

    def add(self, example: Namespaces, shared: Namespaces = ()) -> None:
        """One example (one action of a multi-line example, with its ``shared`` features)."""
        rows, lo, hi, count = self._rows, self.lo, self.hi, self.count
        for term in self.features.expand(example, shared):
            row = rows.get(term.ids)
            value = term.value
            if row is None:
                rows[term.ids] = len(self.ids)
                self.ids.append(term.ids)
                self.keys.append(term.key)
                lo.append(value)
                hi.append(value)
                count.append(1)
                continue
            if value < lo[row]:
                lo[row] = value
            elif value > hi[row]:
                hi[row] = value
            count[row] += 1

    def add_example(self, example: Namespaces) -> None:
        """One single-line example."""
        self.add(example)
        self.examples += 1

    def add_multi(self, shared: Namespaces, actions: Sequence[Namespaces]) -> None:
        """One multi-line example (a contextual-bandit decision): each action with the shared features."""
        for action in actions:
            self.add(action, shared)
        self.examples += 1

    def add_decision(self, context: FeatureDict, actions: Sequence[FeatureDict]) -> None:
        """One decision in the appliance's shape: the context and each offered action's features."""
        self.add_multi(namespaces(context), [namespaces(a) for a in actions])
