"""Candidate policies replayed over a log: each says, event by event, how it would have chosen among the logged
actions (its pmf), before learning from that event if it learns (progressive validation: no event is judged
by a policy that has seen it).

>>> from appliance.storage.dsjson import parse
>>> logged = parse('{"_label_cost":-1,"_label_probability":0.8,"_labelIndex":0,"a":[1,2],"p":[0.8,0.2],'
...                '"c":{"u":{"x":1},"_multi":[{"_id":"on","A":{"on":1}},{"_id":"off","A":{"off":1}}]}}')
>>> [(c.name, list(c.step(logged))) for c in (Logged(), Uniform(), Constant("off"))]
[('online', [0.8, 0.2]), ('random', [0.5, 0.5]), ('always off', [0.0, 1.0])]
>>> vw = VWCandidate("--cb_explore_adf --epsilon 0.2")
>>> [round(p, 3) for p in vw.step(logged)]  # knows nothing yet: every action ties
[0.5, 0.5]
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Protocol, Sequence

import vowpalwabbit
from vowpalwabbit import pyvw

from appliance.errors import UsageError
from appliance.policy.vw_examples import ExampleBuilder
from appliance.storage.dsjson import Logged as LoggedEvent

_learn = pyvw.pylibvw.vw.learn_multi
_FORBIDDEN = {"-d", "--data", "-f", "--final_regressor", "-i", "--initial_regressor", "--dsjson", "--json", "-c", "--cache",
              "--cache_file", "--daemon", "--port", "-p", "--predictions", "-r", "--raw_predictions", "--passes"}


class Candidate(Protocol):
    name: str

    def step(self, logged: LoggedEvent) -> Sequence[float]:
        """Its probability of each of the event's actions, then (if it learns) it learns the event."""
        ...


class Logged:
    """The policy that logged the events (its own pmfs, as logged)."""

    name = "online"

    def step(self, logged: LoggedEvent) -> Sequence[float]:
        return logged.event.decision.pmf


class Uniform:
    """Uniformly random choices."""

    name = "random"

    def step(self, logged: LoggedEvent) -> Sequence[float]:
        k = len(logged.event.decision.actions)
        return [1.0 / k] * k


class Constant:
    """Always the same action (uniform among the offered ones in an event that does not offer it)."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.name = f"always {action}"

    def step(self, logged: LoggedEvent) -> Sequence[float]:
        actions = logged.event.decision.actions
        if self.action not in actions:
            return [1.0 / len(actions)] * len(actions)
        return [1.0 if a == self.action else 0.0 for a in actions]


def checked_arguments(arguments: str, required: tuple[str, ...] = ("--cb_explore_adf", "--cb_adf")) -> list[str]:
    """The options of a VW candidate, split, once they are known to need no file and to take ADF bandit examples.

    >>> checked_arguments("--cb_explore_adf --epsilon 0.1 -q ::")
    ['--cb_explore_adf', '--epsilon', '0.1', '-q', '::']
    >>> checked_arguments("--cb_adf -d log.txt")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: VW options -d touch files or the parser; the log is read by the appliance
    """
    try:
        args = shlex.split(arguments)
    except ValueError as err:
        raise UsageError(f"VW options {arguments!r}: {err}") from None
    if not any(r in args for r in required):
        raise UsageError(f"VW options {arguments!r} need one of {', '.join(required)}")
    bad = sorted(_FORBIDDEN.intersection(a.split("=", 1)[0] for a in args))
    if bad:
        raise UsageError(f"VW options {', '.join(bad)} touch files or the parser; the log is read by the appliance")
    return args


class VWLearner:
    """A Vowpal Wabbit ADF learner replayed over the log: per event it learns the logged action's cost and
    reports the scores it predicted just before (VW's ``learn`` leaves the pre-update prediction in the
    shared example: one native call per event)."""

    def __init__(self, arguments: str, required: tuple[str, ...], model: Path | None = None) -> None:
        """``model``: a file this learner saved (:meth:`workspace`'s ``save``) to go on from."""
        args = checked_arguments(arguments, required)
        try:
            self._vw = vowpalwabbit.Workspace(arg_list=[*args, "--quiet", *(["-i", str(model)] if model else [])])
        except RuntimeError as err:
            raise UsageError(f"Vowpal Wabbit refused the options {arguments!r}: {err}") from None
        self._builder = ExampleBuilder(self._vw, {}, labelled=256)
        self.arguments = arguments

    def scores(self, logged: LoggedEvent) -> Sequence[float]:
        event = logged.event
        d = event.decision
        builder = self._builder
        builder.declare(d.actions, logged.features)
        shared = builder.shared(d.context)
        _learn(self._vw, builder.for_learn(shared, d.actions, d.action_index, -event.reward, d.probability))
        scores: Sequence[float] = shared.get_action_scores()
        builder.release(shared)
        return scores

    def workspace(self) -> Any:
        return self._vw


class VWCandidate(VWLearner):
    """Any VW contextual-bandit configuration (``--cb_explore_adf`` with its exploration, or ``--cb_adf``:
    greedy), learned counterfactually by replaying the log."""

    def __init__(self, arguments: str, name: str | None = None, model: Path | None = None) -> None:
        super().__init__(arguments, ("--cb_explore_adf", "--cb_adf"), model)
        self._explores = "--cb_explore_adf" in shlex.split(arguments)
        self.name = name or self.name_of(arguments)

    @staticmethod
    def name_of(arguments: str) -> str:
        """The name a candidate of these options gets by default."""
        return f"vw: {arguments}"

    def step(self, logged: LoggedEvent) -> Sequence[float]:
        scores = self.scores(logged)
        if self._explores:
            return scores
        best = min(range(len(scores)), key=scores.__getitem__)
        return [1.0 if i == best else 0.0 for i in range(len(scores))]


class RewardModel(VWLearner):
    """The reward model DM and DR use: a VW regression of the reward on context and action (``--cb_adf``: an
    importance-weighted regression on the logged action), each event predicted before it is learned."""

    def __init__(self, arguments: str = "--cb_adf -q ::") -> None:
        super().__init__(arguments, ("--cb_adf",))

    def rewards(self, logged: LoggedEvent) -> list[float]:
        """The predicted reward of each action of the event (VW predicts costs: their negatives)."""
        return [-s for s in self.scores(logged)]


def parse_policy(spec: str) -> VWCandidate:
    """A ``--policy`` argument: ``vw: OPTIONS``.

    >>> parse_policy("vw: --cb_explore_adf --epsilon 0.1").name
    'vw: --cb_explore_adf --epsilon 0.1'
    >>> parse_policy("river: x")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: --policy 'river: x': write a candidate as "vw: OPTIONS", e.g. "vw: --cb_explore_adf --epsilon 0.1 -q ca"
    """
    kind, _, arguments = spec.partition(":")
    if kind.strip() != "vw" or not arguments.strip():
        raise UsageError(f'--policy {spec!r}: write a candidate as "vw: OPTIONS", e.g. "vw: --cb_explore_adf --epsilon 0.1 -q ca"')
    return VWCandidate(arguments.strip())
