"""Build Vowpal Wabbit examples straight from namespaced features: hashed once, never parsed from text.

Each declared action's example is built once and reused for every decision; a decision builds only its
shared (context) example. Learning swaps in a fresh labelled copy of the chosen action. Features with value
0 are dropped, as VW's text and JSON parsers do, so a model learned here equals one learned by
``vw --dsjson`` from the event log.

A native example is large (about 30 KB: VW keeps room for 256 namespaces), and allocating one costs more
than predicting with it. So shared examples are pooled: once a decision is learned its example is emptied
and reused for a later decision. A :class:`SharedExample` box tells whether its example is still there.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from vowpalwabbit import pyvw

from appliance.config.policy import Features

_CB = pyvw.LabelType.CONTEXTUAL_BANDIT.value
_Example = pyvw.pylibvw.example  # the native example: pyvw's wrapper adds ~25% to every call on the hot path
_HASH_CACHE_LIMIT = 200_000


class SharedExample:
    """A decision's shared example; ``native`` is ``None`` once it went back to the pool (after learning)."""

    __slots__ = ("native",)

    def __init__(self, native: Any) -> None:
        self.native = native


class ExampleBuilder:
    """Turns features into native VW examples for one workspace."""

    def __init__(self, workspace: Any, action_features: Mapping[str, Features], pool_size: int = 64) -> None:
        self._vw = workspace
        self._pool: list[Any] = []
        self._pool_size = pool_size
        self._namespaces: dict[str, tuple[int, int, dict[str, int]]] = {}  # name -> (index, hash, feature hashes)
        self._action_features = dict(action_features)
        self._actions = {a: self._example(f) for a, f in self._action_features.items()}
        self._offered: dict[tuple[str, ...], list[Any]] = {}

    def _namespace(self, namespace: str) -> tuple[int, int, dict[str, int]]:
        found = self._namespaces.get(namespace)
        if found is None:
            found = self._namespaces[namespace] = (ord(namespace[0]), self._vw.hash_space(namespace), {})
        return found

    def _hash(self, names: dict[str, int], space: int, name: str) -> int:
        if len(names) >= _HASH_CACHE_LIMIT:
            names.clear()  # unbounded names (e.g. user ids) must not grow memory forever
        value: int = self._vw.hash_feature(name, space)
        names[name] = value
        return value

    def _example(self, features: Features, label: str | None = None, reuse: Any = None) -> Any:
        vw = self._vw
        if reuse is not None:
            example = reuse  # its label stays: only shared examples are reused, and "shared" does not change
            while example.pop_namespace():
                pass
        else:
            example = _Example(vw, _CB)
            if label is not None:
                example.set_label_string(vw, label, _CB)
        for namespace, values in features.items():
            index, space, names = self._namespace(namespace)
            example.ensure_namespace_exists(index)
            hashed = []
            for name, value in values.items():
                if value:
                    hashed.append((names.get(name) or self._hash(names, space, name), float(value)))
            example.push_feature_list(vw, index, space, hashed)
        vw.setup_example(example)
        return example

    def shared(self, context: Features) -> SharedExample:
        """The shared example of one decision, reusing a pooled one when there is one."""
        return SharedExample(self._example(context, "shared", self._pool.pop() if self._pool else None))

    def release(self, shared: SharedExample) -> None:
        """Give a learned decision's example back for reuse; ``shared.native`` becomes ``None``."""
        if len(self._pool) < self._pool_size:
            self._pool.append(shared.native)
        shared.native = None

    def action_features(self, action: str) -> Features:
        return self._action_features[action]

    def for_predict(self, shared: Any, actions: tuple[str, ...]) -> list[Any]:
        offered = self._offered.get(actions)
        if offered is None:
            if len(self._offered) >= 1024:
                self._offered.clear()  # per-request action lists are bounded in memory too
            offered = self._offered[actions] = [self._actions[a] for a in actions]
        return [shared, *offered]

    def for_learn(
        self, shared: Any, actions: tuple[str, ...], chosen: int, cost: float, probability: float,
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
