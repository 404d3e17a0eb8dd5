"""Build Vowpal Wabbit examples straight from namespaced features: hashed once, never parsed from text.

Each declared action's example is built once and reused for every decision; a decision builds only its
shared (context) example. Learning swaps in a fresh labelled copy of the chosen action. Features with value
0 are dropped, as VW's text and JSON parsers do, so a model learned here equals one learned by
``vw --dsjson`` from the event log.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from vowpalwabbit import pyvw

from appliance.config.policy import Features

_CB = pyvw.LabelType.CONTEXTUAL_BANDIT.value
_Example = pyvw.pylibvw.example  # the native example: pyvw's wrapper adds ~25% to every call on the hot path
_HASH_CACHE_LIMIT = 200_000


class ExampleBuilder:
    """Turns features into native VW examples for one workspace."""

    def __init__(self, workspace: Any, action_features: Mapping[str, Features]) -> None:
        self._vw = workspace
        self._spaces: dict[str, int] = {}
        self._hashes: dict[tuple[str, str], int] = {}
        self._action_features = dict(action_features)
        self._actions = {a: self._example(f) for a, f in self._action_features.items()}

    def _hash(self, namespace: str, name: str) -> int:
        key = (namespace, name)
        value = self._hashes.get(key)
        if value is None:
            if len(self._hashes) >= _HASH_CACHE_LIMIT:
                self._hashes.clear()  # unbounded names (e.g. user ids) must not grow memory forever
            space = self._spaces.get(namespace)
            if space is None:
                space = self._spaces[namespace] = self._vw.hash_space(namespace)
            value = self._hashes[key] = self._vw.hash_feature(name, space)
        return value

    def _example(self, features: Features, label: str | None = None) -> Any:
        vw = self._vw
        example = _Example(vw, _CB)
        if label is not None:
            example.set_label_string(vw, label, _CB)
        for namespace, values in features.items():
            index = ord(namespace[0])
            example.ensure_namespace_exists(index)
            if namespace not in self._spaces:
                self._spaces[namespace] = vw.hash_space(namespace)
            hashed = [(self._hash(namespace, k), float(v)) for k, v in values.items() if v != 0]
            example.push_feature_list(vw, index, self._spaces[namespace], hashed)
        vw.setup_example(example)
        return example

    def shared(self, context: Features) -> Any:
        """The shared example of one decision."""
        return self._example(context, "shared")

    def action_features(self, action: str) -> Features:
        return self._action_features[action]

    def for_predict(self, shared: Any, actions: Sequence[str]) -> list[Any]:
        return [shared, *(self._actions[a] for a in actions)]

    def for_learn(
        self, shared: Any, actions: Sequence[str], chosen: int, cost: float, probability: float,
        action_features: Sequence[Features] | None = None,
    ) -> list[Any]:
        """The multi-example to learn: the chosen action is a fresh copy carrying the CB label.

        ``action_features`` builds every action from the given features instead (events from a log whose
        actions are not declared here).
        """
        label = f"{chosen + 1}:{cost!r}:{probability!r}"
        if action_features is not None:
            built = [self._example(f, label if i == chosen else None) for i, f in enumerate(action_features)]
            return [shared, *built]
        examples = self.for_predict(shared, actions)
        examples[chosen + 1] = self._example(self._action_features[actions[chosen]], label)
        return examples
