"""Why a model scored what it scored: each term's contribution (value x weight), interaction terms included.

A linear VW model's score is the sum of its terms' contributions, so the explanation adds up exactly (before VW
clips a prediction to the labels' range). For a contextual bandit each offered action gets its score in reward
space (VW learns costs) and its top contributions; the pick is flagged exploratory when it is not the action
with the best score (a cost-sensitive model's, ``--csoaa_ldf``, is its lowest: costs are shown as they are). An
ensemble (``--bag``, ``--cover``) is explained by its sub-models' mean weight.

>>> import vowpalwabbit
>>> ws = vowpalwabbit.Workspace("--quiet --cb_explore_adf -q rc")
>>> for _ in range(30):
...     ws.learn(["shared |room dark:1", "0:-1:0.5 |colour warm", "|colour cool"])
...     ws.learn(["shared |room dark:1", "|colour warm", "0:0:0.5 |colour cool"])
>>> why = Explainer(ws).decision({"room": {"dark": 1.0}}, {"warm": {"colour": {"warm": 1}}, "cool": {"colour": {"cool": 1}}},
...                               chosen=1, top=2)
>>> [(a.action, round(a.score, 2), a.top[0].feature) for a in why.actions], why.exploratory
([('warm', 1.0, 'colour^warm'), ('cool', 0.0, 'colour^cool')], True)
>>> ws.finish()
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

from appliance.introspect.layout import ModelLayout
from appliance.introspect.observed import FeatureDict, namespaces
from appliance.introspect.table import REWARD_NOTE
from appliance.introspect.terms import Features, Namespaces, Term


@dataclass(frozen=True, slots=True)
class Contribution:
    feature: str
    value: float
    weight: float
    contribution: float


@dataclass(frozen=True, slots=True)
class ActionExplanation:
    action: str
    score: float
    top: list[Contribution]
    probability: float | None = None
    chosen: bool = False


@dataclass(frozen=True, slots=True)
class Explanation:
    actions: list[ActionExplanation]
    exploratory: bool
    note: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Explainer:
    """Explains predictions of ``workspace``'s model as it is now (call it under whatever lock guards learning)."""

    def __init__(self, workspace: Any, layout: ModelLayout | None = None) -> None:
        self._ws = workspace
        self.features = Features(workspace, layout)

    def decision(self, context: FeatureDict, actions: Mapping[str, FeatureDict], chosen: int | None = None,
                 pmf: Sequence[float] | None = None, top: int = 5) -> Explanation:
        """A multi-line model's decision: the shared ``context`` and each offered action's features, in order."""
        shared = namespaces(context)
        explained = []
        for i, (action, features) in enumerate(actions.items()):
            score, contributions = self._score(self.features.expand(namespaces(features), shared), top)
            explained.append(ActionExplanation(action, score, contributions, pmf[i] if pmf is not None else None, i == chosen))
        scores = [a.score for a in explained]
        if self.features.layout.lowest_is_best:  # costs: the model predicts the cheapest action
            exploratory = chosen is not None and scores[chosen] > min(scores)
        else:
            exploratory = chosen is not None and scores[chosen] < max(scores)
        return Explanation(explained, exploratory, REWARD_NOTE if self.features.layout.reward_space else None)

    def example(self, example: Namespaces, top: int = 5) -> Explanation:
        """A single-line model's prediction: one entry per sub-model (each class of ``--oaa``), raw scores."""
        layout = self.features.layout
        terms = self.features.expand(example)
        explained = [ActionExplanation(name or "score", *self._score(terms, top, [offset]))
                     for name, offset in zip(layout.sub_models, layout.offsets)]
        return Explanation(explained, False, None)

    def _score(self, terms: list[Term], top: int, offsets: Sequence[int] | None = None) -> tuple[float, list[Contribution]]:
        layout = self.features.layout
        chosen = layout.offsets if offsets is None else offsets
        mask, get = layout.mask, self._ws.get_weight
        sign = (-1.0 if layout.reward_space else 1.0) / len(chosen)
        scored = []
        total = 0.0
        for term in terms:
            weight = sign * sum(get((term.key + k) & mask, 0) for k in chosen) + 0.0
            contribution = term.value * weight
            total += contribution
            scored.append((term, weight, contribution))
        scored.sort(key=lambda s: -abs(s[2]))
        name = self.features.term_name
        return total, [Contribution(name(t.ids), t.value, w, c) for t, w, c in scored[:top]]
