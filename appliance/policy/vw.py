"""The Vowpal Wabbit policy: ``--cb_explore_adf`` on a ``vowpalwabbit.Workspace``.

>>> from appliance.config import VWPolicyConfig
>>> cfg = VWPolicyConfig.model_validate({"actions": [{"id": "on"}, {"id": "off"}], "seed": 1})
>>> policy = VWPolicy(cfg)
>>> d = policy.decide({"room": {"dark": 1.0}}, event_id="e1", timestamp=0.0)
>>> d.action in ("on", "off"), round(sum(d.pmf), 6)
(True, 1.0)
>>> vw_arguments(cfg)[:4]
['--cb_explore_adf', '--quiet', '--random_seed', '1']
>>> policy.stats()["interactions"]
{'configured': 'auto', 'active': ['room x Action']}
"""

from __future__ import annotations

import random
import threading
from collections import deque
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TypeVar

import vowpalwabbit
from vowpalwabbit import pyvw

from appliance.config.explorations import Epsilon, Softmax, SquareCB
from appliance.config.vw_policy import UPDATES, VWPolicyConfig
from appliance.errors import UsageError
from appliance.estimators.costs import cost_estimator
from appliance.features import Features
from appliance.policy.base import Decision, JoinedEvent, offered_actions
from appliance.policy.exploration import explore, sample
from appliance.policy.vw_examples import CS, ExampleBuilder, Learnable, features_of
from appliance.policy.vw_examples import learn_multi as _learn

MAX_SHOWN_NAMESPACES = 256
"""How many context namespaces the status lists, at most."""
MAX_EXPLAINED_NAMES = 100_000
"""How many feature names explanations remember (hashed once each) before starting afresh."""
_predict = pyvw.pylibvw.vw.predict_multi  # straight to the native calls, past pyvw's type checks
T = TypeVar("T")


def action_namespaces(config: VWPolicyConfig) -> list[str]:
    """The namespaces the actions' features use, in order of appearance."""
    return list(dict.fromkeys(ns for a in config.actions for ns in a.vw_features()))


def interactions(config: VWPolicyConfig) -> list[str]:
    """Interaction terms: explicit ones, or every namespace crossed with every action namespace.

    ``auto`` uses VW's wildcard (``:c`` crosses every namespace an example has with ``c``), so a context
    namespace nobody foresaw (one an application sends through the API) is crossed with the actions too.

    >>> interactions(VWPolicyConfig.model_validate({"actions": [{"id": "a", "features": {"colour": {"a": 1}}}, {"id": "b"}]}))
    [':c', ':A']
    """
    if config.interactions != "auto":
        return list(config.interactions)
    return [":" + letter for letter in dict.fromkeys(ns[0] for ns in action_namespaces(config))]


def vw_arguments(config: VWPolicyConfig) -> list[str]:
    """VW's options; with ``cb_type: python:NAME`` its cost-sensitive learner, the exploration done in Python.

    >>> cfg = VWPolicyConfig.model_validate({"actions": [{"id": "a"}, {"id": "b"}], "cb_type": "python:ips"})
    >>> vw_arguments(cfg)[:3], "--squarecb" in vw_arguments(cfg)
    (['--csoaa_ldf', 'm', '--csoaa_rank'], False)
    """
    python = config.python_cb_type is not None
    args = ["--csoaa_ldf", "m", "--csoaa_rank"] if python else ["--cb_explore_adf"]
    args += ["--quiet", "--random_seed", str(config.seed), "-b", str(config.bits)]
    args += ["--learning_rate", str(config.learning_rate), "--power_t", str(config.power_t)]
    args += [*UPDATES[config.update], *([] if python else ["--cb_type", config.cb_type])]
    for term in interactions(config):
        args += ["--interactions", term]
    return args + ([] if python else config.exploration.vw_args()) + list(config.vw_args)


class VWPolicy:
    """Thread-safe: one lock guards the workspace."""

    model_suffix = ".vw"
    """Its saved model's file suffix (see :func:`appliance.policy.base.model_suffix`)."""

    def __init__(self, config: VWPolicyConfig, example_pool: int = 64) -> None:
        self._config = config
        self._args = vw_arguments(config)
        self._action_namespaces = action_namespaces(config)
        self._context_namespaces: dict[str, None] = {}  # every namespace seen in a context, in order
        self._seen_namespaces: set[str] = set()  # the same, to check a context against (faster than a keys view)
        self._features = {a.id: a.vw_features() for a in config.actions}
        self._actions = tuple(self._features)
        self._rng = random.Random(config.seed)
        self._version = 0
        self._lock = threading.Lock()
        self._example_pool = example_pool
        self._max_held = config.held_examples
        # the newest decisions, oldest first: those not learned yet keep their example. The loop learns decisions in the
        # order it made them, so these are the newest pending ones; a deque costs 2,300 instructions a decision less
        # than a dict by event id (nothing to remove when one is learned)
        self._holding: deque[Decision] = deque()
        self._costs = cost_estimator(config.python_cb_type) if config.python_cb_type is not None else None
        self._explainer: Any = None  # built at the first explanation: the decision path never touches it
        self._vw, self._builder = self._open([])
        self.features = 0
        """Features learned from: each learned multi-example's (shared and actions, interaction terms included)."""

    def _open(self, extra: list[str]) -> tuple[Any, ExampleBuilder]:
        try:
            workspace = vowpalwabbit.Workspace(arg_list=self._args + extra)
        except RuntimeError as err:
            raise UsageError(f"Vowpal Wabbit refused the options {' '.join(self._args + extra)}: {err}") from None
        if self._costs is None:
            return workspace, ExampleBuilder(workspace, self._features, self._example_pool)
        return workspace, ExampleBuilder(workspace, self._features, self._example_pool, labelled=64, label_type=CS)

    def _explore(self, costs: Sequence[float]) -> list[float]:
        """The pmf over actions from the cost-sensitive learner's predicted costs (``python:`` cb types)."""
        exploration = self._config.exploration
        assert isinstance(exploration, (Epsilon, Softmax, SquareCB))
        return explore(exploration, costs, self._version)

    def _pmf_of(self, shared: Any) -> list[float]:
        """The pmf of a multi-example just predicted, from its shared example's action scores: VW's own when they sum
        to 1 (as they do under every VW exploration), or, for ``python:`` cb types, the exploration of the predicted
        costs. VW's ``--regcbopt`` gives every action tied for the optimistic best probability 1 (all of them at the
        first decision): such scores are scaled to sum to 1, so that the logged probability is the one the action
        was drawn with."""
        scores: list[float] = shared.get_action_scores()
        if self._costs is not None:
            return self._explore(scores)
        total = sum(scores)
        return scores if abs(total - 1.0) < 1e-4 else [p / total for p in scores]

    @property
    def actions(self) -> tuple[str, ...]:
        return self._actions

    @property
    def model_version(self) -> int:
        return self._version

    @property
    def arguments(self) -> list[str]:
        return list(self._args)

    def decide(
        self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None
    ) -> Decision:
        offered = offered_actions(actions, self._actions) if actions else self._actions
        if not self._seen_namespaces.issuperset(context) and len(self._context_namespaces) < MAX_SHOWN_NAMESPACES:
            self._context_namespaces.update(dict.fromkeys(context))  # bounded: a client may send new names every time
            self._seen_namespaces.update(context)
        with self._lock:
            builder = self._builder
            shared = builder.shared(context)
            _predict(self._vw, [shared, *builder.offered(offered)])
            pmf = self._pmf_of(shared)
            index = sample(pmf, self._rng.random())
            decision = Decision(event_id, offered[index], index, pmf[index], tuple(pmf), offered, context, self._version,
                                timestamp, shared)
            holding = self._holding
            holding.append(decision)
            if len(holding) > self._max_held:  # memory stays bounded: the oldest gives its example back
                oldest = holding.popleft()
                if oldest.example is not None:
                    builder.release(oldest.example)
                    oldest.example = None
        return decision

    def pmf(self, context: Features, actions: Sequence[str] | None = None) -> list[float]:
        """The probabilities :meth:`decide` would draw from for ``context`` over ``actions`` (declared ones), drawing
        and recording nothing."""
        offered = offered_actions(actions, self._actions)
        with self._lock:
            builder = self._builder
            shared = builder.shared(context)
            try:
                _predict(self._vw, [shared, *builder.offered(offered)])
                return self._pmf_of(shared)
            finally:
                builder.release(shared)

    def with_workspace(self, use: Callable[[Any], T]) -> T:
        """``use(workspace)`` under the policy's lock: raw VW calls (predictions of VW text, VW's counters), which
        must leave the model as they found it."""
        with self._lock:
            return use(self._vw)

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        """Learn one event. ``action_features`` supplies the actions' features when they are not declared
        here (replaying a log written with other actions)."""
        self.learn_all((event,), action_features)

    def learn_all(self, events: Iterable[JoinedEvent], action_features: Sequence[Features] | None = None) -> None:
        """Learn ``events`` in order (each as :meth:`learn` would, with the same ``action_features``) under one hold of
        the lock: what the loop calls for a tick's events, which VW then learns in passes
        (:meth:`ExampleBuilder.learn_all`). An event offering undeclared actions without ``action_features`` is
        refused once the events before it are learned."""
        with self._lock:
            builder, declared, features, costs = self._builder, self._actions, self._features, self._costs
            learnable: list[Learnable] = []
            refused: UsageError | None = None
            for event in events:
                d = event.decision
                if action_features is None and d.actions is not declared and any(a not in features for a in d.actions):
                    refused = UsageError(f"event {d.event_id} offered undeclared actions {d.actions}; pass their features")
                    break
                shared = d.example
                if shared is None:  # learned before (its example went back to the pool), or kept across a model swap
                    shared = builder.shared(d.context)
                else:
                    d.example = None  # it goes back to the pool: whoever still holds this decision must not use it
                if costs is not None:
                    self._learn_costs(shared, d, -event.reward, action_features)
                    builder.release(shared)
                    self._version += 1
                else:
                    learnable.append((shared, d.actions, d.action_index, -event.reward, d.probability))
            for count in builder.learn_all(learnable, action_features):
                self.features += count
                self._version += 1
            if refused is not None:
                raise refused

    def _learn_costs(self, shared: Any, d: Decision, cost: float, action_features: Sequence[Features] | None) -> None:
        """Learn through the Python cost estimator: its targets go to VW's cost-sensitive learner. Under SquareCB the
        probability is taken as 1, as VW's SquareCB does before learning."""
        costs, builder = self._costs, self._builder
        assert costs is not None
        if action_features is not None:
            raise UsageError(f"event {d.event_id} offered actions with other features than declared; a python: cb_type learns declared ones only")
        predicted = None
        if costs.needs_predictions:
            _predict(self._vw, [shared, *builder.offered(d.actions)])
            predicted = shared.get_action_scores()
        probability = 1.0 if isinstance(self._config.exploration, SquareCB) else d.probability
        targets = costs.costs(d.action_index, cost, probability, predicted, len(d.actions))
        examples = builder.for_costs(shared, d.actions, targets, d.action_index if costs.only_chosen else None)
        _learn(self._vw, examples)
        self.features += features_of(examples)

    def save(self, path: Path) -> None:
        with self._lock:
            self._vw.save(str(path))

    def explain(self, decision: Decision, top: int = 5) -> Any:
        """Each offered action's score (reward space) and its ``top`` contributions (value x weight, interaction
        terms included) for ``decision``'s context, with the model as it is now; an exploratory pick flagged.
        Returns an :class:`appliance.introspect.explain.Explanation`."""
        from appliance.introspect.explain import Explainer
        from appliance.introspect.layout import read_layout

        with self._lock:
            if self._explainer is None or len(self._explainer.features.names) > MAX_EXPLAINED_NAMES:
                # names are remembered, within bounds (clients send new ones); a bandit also where VW learns costs from
                # Python (cb_type python:NAME runs its cost-sensitive learner)
                self._explainer = Explainer(self._vw, read_layout(self._vw, kind="contextual bandit"))
            actions = {a: self._features[a] for a in decision.actions}
            return self._explainer.decision(decision.context, actions, decision.action_index, decision.pmf, top)

    def stats(self) -> dict[str, Any]:
        """The VW options, and which namespace crossings are active (``auto``: those the contexts brought)."""
        configured = self._config.interactions
        if configured == "auto":
            active = [f"{c} x {a}" for c in self._context_namespaces for a in self._action_namespaces if c[0] != a[0]]
        else:
            active = list(configured)
        return {"type": "vw", "arguments": " ".join(self._args), "interactions": {"configured": configured, "active": active}}

    def load(self, path: Path, model_version: int) -> None:
        with self._lock:
            workspace, builder = self._open(["-i", str(path)])
            self._vw.finish()
            self._vw, self._builder, self._version = workspace, builder, model_version
            self._explainer = None
            self._holding.clear()  # their examples belong to the closed workspace (the loop drops them)

