"""Build Vowpal Wabbit examples straight from namespaced features (pylibvw hashes them in one call).

Each declared action's example is built once and reused for every decision; a decision builds only its
shared (context) example. Learning swaps in a labelled copy of the chosen action: pylibvw's
``set_label_string`` appends a contextual-bandit cost to the label there is (VW then refuses the example: two
known costs), and nothing resets one. That copy is parsed from the action's cached VW text, which costs less
than pushing its features, but only when the parsed example was checked equal, feature by feature, to the
directly built one. :meth:`ExampleBuilder.learn_all` parses it into an example of VW's own pool and finishes the
multi-example once learned, as VW's driver does: the copy goes back to the pool, and VW's parser resets its
label when it reuses it (allocating and freeing a copy of 30 KB cost some 13,000 instructions an event). A
cost-sensitive label does reset (VW's parser clears its costs first), so cost-sensitive learning keeps copies for
the first labels it sees (few costs repeat a lot), then one example per action whose label it sets (1 µs, against
6 µs to allocate and parse a copy). Features with value 0 are dropped, as VW's text and JSON parsers do, so a model
learned here equals one learned by ``vw --dsjson`` from the event log.

A native example is large (about 30 KB: VW keeps room for 256 namespaces), and allocating one costs more
than predicting with it. So shared examples are pooled: once a decision is learned, the policy takes its
example out of the decision (``Decision.example`` becomes ``None``), and a later decision reuses it.
"""

from __future__ import annotations

import re
from math import copysign
from typing import Any, Iterator, Mapping, Sequence

from vowpalwabbit import pyvw

from appliance.features import Features

_CB = pyvw.LabelType.CONTEXTUAL_BANDIT.value
CS = pyvw.LabelType.COST_SENSITIVE.value
_Example = pyvw.pylibvw.example  # the native example: pyvw's wrapper adds ~25% to every call on the hot path
learn_multi = pyvw.pylibvw.vw.learn_multi  # straight to the native calls, past pyvw's type checks
_finish = pyvw.pylibvw.vw._finish_example_multi_ex
_parse = pyvw.pylibvw.vw._parse
_feature_number = _Example.get_feature_number
_UNSAFE_IN_TEXT = re.compile(r"[\s|:]")
Learnable = tuple[Any, tuple[str, ...], int, float, float]
"""An event to learn: its shared example, the actions offered, the chosen one's index, its cost and probability."""


def features_of(examples: list[Any]) -> int:
    """The features of a learned multi-example: every example's, interaction terms included (VW counts those as it
    learns)."""
    return sum(map(_feature_number, examples))


class ExampleBuilder:
    """Turns features into native VW examples for one workspace."""

    def __init__(self, workspace: Any, action_features: Mapping[str, Features], pool_size: int = 64, labelled: int = 0,
                 label_type: int = _CB) -> None:
        """``labelled``: how many labelled copies of actions to keep for reuse, by label (a replay of a log with few
        distinct costs and probabilities learns without allocating; each copy holds about 30 KB). ``label_type``:
        contextual-bandit labels (``--cb_explore_adf``), or :data:`CS` (``--csoaa_ldf``)."""
        self._vw = workspace
        self._label_type = label_type
        self._labelled: dict[tuple[str, str], Any] = {}
        self._relabelled: dict[str, Any] = {}  # cost-sensitive: one learning example per action, its label set per learn
        self._keep_labelled = labelled
        self._cost_texts: dict[float, str] = {}  # each cost as a CB label writes it
        self._pool: list[Any] = []
        self._pool_size = pool_size
        self._action_features = dict(action_features)
        self._actions = {a: self._example(f) for a, f in self._action_features.items()}
        self._texts = {a: text for a, f in self._action_features.items() if (text := self._checked_text(f)) is not None}
        self._offered: dict[tuple[str, ...], list[Any]] = {}
        self._alike: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # per action list: see _alike_of
        self._declared: Sequence[Features] | None = None

    def _example(self, features: Features, label: str | None = None) -> Any:
        """A new example of ``features``. pylibvw hashes the names (as the text parser does), drops zero values
        and converts numbers, in one call for all namespaces."""
        example = _Example(self._vw, self._label_type)
        if label is not None:
            example.set_label_string(self._vw, label, self._label_type)
        return self._fill(example, features)

    def _fill(self, example: Any, features: Features) -> Any:
        example.push_feature_dict(self._vw, features)
        self._vw.setup_example(example)
        return example

    def _checked_text(self, features: Features) -> str | None:
        """``features`` in VW's text format, if VW parses that text to exactly the example built directly."""
        names = [n for ns, values in features.items() for n in (ns, *values)]
        if not features or any(not n or _UNSAFE_IN_TEXT.search(n) for n in names):
            return None
        text = " ".join(f"|{ns} " + " ".join(f"{k}:{float(v)!r}" for k, v in values.items() if v) for ns, values in features.items())
        label = "1:0:1" if self._label_type == _CB else "1:0"
        parsed, built = _Example(self._vw, self._label_type, f"{label} {text}"), self._example(features, label)
        return text if _contents(parsed) == _contents(built) else None

    def declare(self, actions: Sequence[str], features: Sequence[Features]) -> None:
        """Give ``actions`` these ``features`` (actions read from a log: new ones, or ones whose features changed).
        The same objects as the last call's cost nothing."""
        if features is self._declared:
            return
        self._declared = features
        for action, f in zip(actions, features):
            if self._action_features.get(action) != f:
                self._action_features[action] = f
                self._actions[action] = self._example(f)
                text = self._checked_text(f)
                if text is None:
                    self._texts.pop(action, None)
                else:
                    self._texts[action] = text
                self._offered.clear()
                self._alike.clear()
                self._labelled.clear()
                self._relabelled.pop(action, None)

    def shared(self, context: Features) -> Any:
        """The shared example of one decision, reusing a pooled one when there is one."""
        if not self._pool:
            return self._example(context, "shared")
        example = self._pool.pop()  # its label stays: "shared" does not change
        while example.pop_namespace():
            pass
        example.push_feature_dict(self._vw, context)  # _fill's two calls, written out: a call less per decision
        self._vw.setup_example(example)
        return example

    def release(self, shared: Any) -> None:
        """Take back a learned decision's shared example for reuse (its holder must drop it)."""
        if len(self._pool) < self._pool_size:
            self._pool.append(shared)

    def offered(self, actions: tuple[str, ...]) -> list[Any]:
        """The examples of ``actions``, in order (cached per action list)."""
        return self._offered.get(actions) or self._offer(actions)

    def _offer(self, actions: tuple[str, ...]) -> list[Any]:
        if len(self._offered) >= 1024:
            self._offered.clear()  # per-request action lists are bounded in memory too
        if self._label_type == _CB:
            offered = self._offered[actions] = [self._actions[a] for a in actions]
        else:  # pylibvw 9.11 crashes predicting from unlabelled --csoaa_ldf examples: give them cost 0 (predicting never
            # learns); the label's class is where the prediction goes: the 0-based position
            offered = self._offered[actions] = [self._labelled_copy(a, f"{i}:0", keep=True) for i, a in enumerate(actions)]
        return offered

    def learn_all(self, events: Sequence[Learnable], action_features: Sequence[Features] | None = None) -> Iterator[int]:
        """Learn events in order, yielding each one's features as it is learned (every example's, interaction terms
        included, as ``get_feature_number`` counts them once learned). Each learned multi-example is finished, which
        gives its labelled copy back to VW's pool and counts the event in VW's own counters (``shared`` and the
        actions' examples are ours: VW leaves them be), and its shared example comes back to this builder's pool
        (:meth:`release`: its holder must drop it). Each event is ``(shared, actions, chosen, cost, probability)``;
        ``action_features`` as for :meth:`for_learn`.

        Two passes over the events, not one: every multi-example is built (the live policy's labelled copies parsed
        by VW's text parser in one call, a line each), then each is learned and finished. A tick's events then run
        the parser's code together and the learner's together, which stays in the processor's instruction cache;
        built and learned an event at a time, each evicted the other's. Finishing stays beside learning: VW reckons
        an event's loss from its learner's last event.
        """
        vw, built, finished = self._vw, [], 0
        lines: list[str] = []  # the pooled labelled copies to parse, in the order of their multi-examples
        try:
            for shared, actions, chosen, cost, probability in events:
                examples, line = self._learnable(shared, actions, chosen, cost, probability, action_features)
                built.append((examples, actions, chosen + 1 if line else 0))
                if line:
                    lines.append(line)
            if lines:
                copies = iter(_parse(vw, "\n".join(lines)))  # a line each: a multi-line string is parsed line by line
                for examples, _, position in built:
                    if position:
                        examples[position] = next(copies)
            for examples, actions, _ in built:
                learn_multi(vw, examples)
                if action_features is not None:
                    count = features_of(examples)
                else:
                    count = _feature_number(examples[0])
                    for position, n in self._alike.get(actions) or self._alike_of(actions):
                        count += n * _feature_number(examples[position])
                _finish(vw, examples)  # before the next is learned: VW's loss counters read its learner's last event
                self.release(examples[0])
                finished += 1
                yield count
        finally:
            for examples, _, _ in built[finished:]:  # not learned (one failed): back to the pools all the same
                _finish(vw, examples)
                self.release(examples[0])

    def _learnable(
        self, shared: Any, actions: tuple[str, ...], chosen: int, cost: float, probability: float,
        action_features: Sequence[Features] | None,
    ) -> tuple[list[Any], str]:
        """One event's multi-example to learn, and the text of its labelled copy when that is to be parsed into an
        example of VW's pool (its place in the list holds the unlabelled action until then; ``""`` when the list is
        complete). The live policy's event (declared actions, the chosen one's text checked, no labelled copies kept)
        is built here, a call of :meth:`_label` instead of :meth:`for_learn`'s (which makes its copies outside the
        pool, for callers that never finish them). Its test for that case is :meth:`for_learn`'s, written out:
        calling ``for_learn`` with a flag for the pooled copy instead measured 1,400 instructions an event more (0.8 %
        of the loop's), so the two change together."""
        text = self._texts.get(actions[chosen])
        if action_features is not None or self._keep_labelled or text is None:
            return self.for_learn(shared, actions, chosen, cost, probability, action_features), ""
        return [shared, *(self._offered.get(actions) or self._offer(actions))], f"{self._label(chosen, cost, probability)} {text}"

    def _alike_of(self, actions: tuple[str, ...]) -> list[tuple[int, int]]:
        """Groups of ``actions`` whose examples count their features alike once learned: (the 1-based position of the
        first, how many), so that :meth:`learn` asks VW once per group.

        VW counts an action's interaction terms from the sizes of its namespaces and of the shared example's, so
        actions whose namespaces hold as many features each (most often all of them: one ``Action`` feature each)
        count alike: one of them is asked (a call into pylibvw costs as much as a dozen lines of Python).
        """
        if len(self._alike) >= 1024:
            self._alike.clear()  # per-request action lists are bounded in memory too
        first: dict[tuple[tuple[int, int], ...], list[int]] = {}
        for position, action in enumerate(actions, 1):
            first.setdefault(_sizes(self._actions[action]), [position, 0])[1] += 1
        alike = self._alike[actions] = [(position, n) for position, n in first.values()]
        return alike

    def _label(self, chosen: int, cost: float, probability: float) -> str:
        """The chosen action's CB label. 9 significant digits hold a float32 (VW's own float parser is off by a few ulps
        whatever the digits, as when it reads the same numbers from the DSJSON log); the cost's text is looked up (few
        costs repeat a lot, and a %.9g costs 0.2 µs), and % formats faster than an f-string."""
        costs = self._cost_texts
        cost_text = costs.get(cost) if cost else ("-0" if copysign(1.0, cost) < 0 else "0")  # 0.0 and -0.0: one key
        if cost_text is None:
            if len(costs) >= 1024:
                costs.clear()  # continuous rewards: bounded like every cache here
            cost_text = costs[cost] = "%.9g" % cost
        return "%d:%s:%.9g" % (chosen + 1, cost_text, probability)

    def for_learn(
        self, shared: Any, actions: tuple[str, ...], chosen: int, cost: float, probability: float,
        action_features: Sequence[Features] | None = None,
    ) -> list[Any]:
        """The multi-example to learn: the chosen action is a fresh copy carrying the CB label.

        ``action_features`` builds every action from the given features instead (events from a log whose
        actions are not declared here).
        """
        label = self._label(chosen, cost, probability)
        if action_features is not None:
            return [shared, *(self._example(f, label if i == chosen else None) for i, f in enumerate(action_features))]
        examples = [shared, *(self._offered.get(actions) or self._offer(actions))]
        action = actions[chosen]
        text = self._texts.get(action)
        if self._keep_labelled or text is None:
            examples[chosen + 1] = self._labelled_copy(action, label)
        else:  # nothing kept to look up: parsed straight from the action's checked text
            examples[chosen + 1] = _Example(self._vw, self._label_type, f"{label} {text}")
        return examples

    def for_costs(self, shared: Any, actions: tuple[str, ...], costs: Sequence[float], only: int | None = None) -> list[Any]:
        """The cost-sensitive multi-example (:data:`CS` labels, classes 0-based positions): each action with its
        cost, or action ``only`` alone. Each action's example is kept and relabelled: the list is valid until the
        next call (learn it before)."""
        indexes = range(len(actions)) if only is None else (only,)
        if only is None and len(set(actions)) < len(actions):  # an action offered twice would carry one label: copies
            return [shared, *(self._labelled_copy(actions[i], f"{i}:{cost:.9g}") for i, cost in zip(indexes, costs))]
        return [shared, *(self._cost_labelled(actions[i], f"{i}:{cost:.9g}") for i, cost in zip(indexes, costs))]

    def _cost_labelled(self, action: str, label: str) -> Any:
        """A kept copy labelled ``label`` (few costs repeat a lot: a lookup is cheaper than relabelling), a new
        one while there is room to keep it, else ``action``'s kept learning example relabelled."""
        copy = self._labelled.get((action, label))
        if copy is None and len(self._labelled) >= self._keep_labelled:
            return self._relabel(action, label)
        return copy if copy is not None else self._labelled_copy(action, label)

    def _relabel(self, action: str, label: str) -> Any:
        """``action``'s kept cost-sensitive learning example, now labelled ``label``. VW's cost-sensitive parser
        clears the costs before reading new ones; the weight and test flag set up from the first label stay right
        (every label here has a cost and weighs 1)."""
        example = self._relabelled.get(action)
        if example is None:
            example = self._relabelled[action] = self._example(self._action_features[action], label)
        else:
            example.set_label_string(self._vw, label, CS)
        return example

    def _labelled_copy(self, action: str, label: str, keep: bool = False) -> Any:
        copy = self._labelled.get((action, label))
        if copy is None:
            text = self._texts.get(action)
            copy = _Example(self._vw, self._label_type, f"{label} {text}") if text else self._example(self._action_features[action], label)
            if keep or len(self._labelled) < self._keep_labelled:
                self._labelled[action, label] = copy
        return copy


def _contents(example: Any) -> tuple[Any, ...]:
    """Everything VW learns from in an example: label, namespaces, hashed features and values."""
    spaces = [example.namespace(i) for i in range(example.num_namespaces())]
    features = [[(example.feature(ns, j), example.feature_weight(ns, j)) for j in range(example.num_features_in(ns))] for ns in spaces]
    label = [(example.get_cbandits_class(i), example.get_cbandits_cost(i), example.get_cbandits_probability(i))
             for i in range(example.get_cbandits_num_costs())]
    return spaces, features, label, example.get_total_sum_feat_sq()


def _sizes(example: Any) -> tuple[tuple[int, int], ...]:
    """How many features each namespace of ``example`` holds (what VW's count of interaction terms depends on)."""
    return tuple((ns, example.num_features_in(ns)) for ns in map(example.namespace, range(example.num_namespaces())))
