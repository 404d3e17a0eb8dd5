"""The ``Policy`` role: ``decide(context) -> Decision`` and ``learn(joined_event)``.

A decision carries everything needed to learn it later: the context, the offered actions, the pmf, and an
opaque ``example`` the policy built at decision time, so learning never parses the same data twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Protocol, Sequence, runtime_checkable

from appliance.errors import UsageError
from appliance.features import Features

Outcome = Literal["on_time", "default", "overflow", "late", "replay"]
"""Why a decision was learned: rewards in time, none (default reward), closed early, a late reward, a replay."""


@dataclass(slots=True)
class Decision:
    """One choice of the policy. ``pmf[i]`` is the probability of ``actions[i]``.

    Never reassign a field (not ``frozen``: that costs a microsecond more on every decision and join), except
    ``example``, dropped once the policy has learned from it or after a model swap, and ``timestamp``, which the
    joiner moves with the wall clock when it is set while the decision waits.
    """

    event_id: str
    action: str
    action_index: int
    probability: float
    pmf: tuple[float, ...]
    actions: tuple[str, ...]
    context: Features
    model_version: int
    timestamp: float
    example: Any = field(default=None, repr=False, compare=False)
    """The policy's own parsed form of this decision (opaque to everyone else); ``None`` once learned."""

    def without_example(self) -> Decision:
        """This decision without its example: one learned a second time, or kept across a model swap, is
        rebuilt from its context by the policy."""
        return Decision(self.event_id, self.action, self.action_index, self.probability, self.pmf, self.actions,
                        self.context, self.model_version, self.timestamp)

    def public(self) -> dict[str, Any]:
        """The JSON-able fields a user sees (API, dashboard, logs)."""
        return {
            "event_id": self.event_id,
            "action": self.action,
            "action_index": self.action_index,
            "probability": self.probability,
            "pmf": dict(zip(self.actions, self.pmf)),
            "model_version": self.model_version,
            "timestamp": self.timestamp,
        }


@dataclass(slots=True)
class JoinedEvent:
    """A decision with the reward it is learned with. Never reassign a field (see :class:`Decision`)."""

    decision: Decision
    reward: float
    outcome: Outcome
    rewards_received: int
    joined_at: float
    late_key: str | None = None
    """For a late reward learned as a new example: the reward's key, so it is learned once across restarts."""


def offered_actions(requested: Sequence[str] | None, declared: tuple[str, ...]) -> tuple[str, ...]:
    """The actions a decision chooses among: ``requested`` (checked against ``declared``) or all declared.

    >>> offered_actions(None, ("on", "off")), offered_actions(["off"], ("on", "off"))
    (('on', 'off'), ('off',))
    >>> offered_actions(["dim"], ("on", "off"))
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: unknown action(s) 'dim'; declared: on, off
    """
    if not requested:
        return declared
    unknown = [a for a in requested if a not in declared]
    if unknown:
        raise UsageError(f"unknown action(s) {', '.join(map(repr, unknown))}; declared: {', '.join(declared)}")
    if len(set(requested)) != len(requested):
        raise UsageError("the action list repeats an action")
    return tuple(requested)


class Policy(Protocol):
    """Chooses actions and learns from joined events. Implementations are not thread-safe unless they say so.

    A kind that does not learn from rewards (a baseline) declares it with a class attribute ``learns = False``
    (see :func:`learns`): the contract suite then does not expect it to beat uniform choices. A class attribute
    ``model_suffix`` (``".json"``) names its model file's suffix in downloads (see :func:`model_suffix`).
    """

    @property
    def actions(self) -> tuple[str, ...]:
        """The declared action ids, in order."""
        ...

    @property
    def model_version(self) -> int:
        """Number of events learned since the model was created (survives save/load)."""
        ...

    def decide(
        self, context: Features, event_id: str, timestamp: float, actions: Sequence[str] | None = None
    ) -> Decision:
        """Choose among ``actions`` (default: all declared) for ``context``."""
        ...

    def learn(self, event: JoinedEvent, action_features: Sequence[Features] | None = None) -> None:
        """Update the model with one joined event. ``action_features`` gives the actions' features when
        they are not the declared ones (an event replayed from a log written with other actions)."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able facts for /api/status: the kind, its options, what it learned."""
        ...

    def save(self, path: Path) -> None:
        """Write the model to ``path`` (the caller makes it atomic)."""
        ...

    def load(self, path: Path, model_version: int) -> None:
        """Replace the model with the one saved at ``path`` (a checkpoint at start, or an upload). A file it cannot use
        (not its kind's, or saved for other actions) raises a :class:`~appliance.errors.WabbitError` such as
        ``CheckpointError`` and leaves the model as it was: the loop then falls back to an older checkpoint."""
        ...


def learns(policy: object) -> bool:
    """Whether ``policy`` learns from rewards: unless its class declares ``learns = False``.

    >>> from appliance.policy.fake import UniformPolicy
    >>> learns(UniformPolicy.of(["a", "b"])), learns(object())
    (False, True)
    """
    return bool(getattr(policy, "learns", True))


def model_suffix(policy: object) -> str:
    """The file suffix of ``policy``'s saved model, for a download's file name: its class's ``model_suffix`` (``.npz``
    for LinUCB's archive, ``.json`` for the uniform kind's), ``.bin`` for a plug-in kind that declares none.

    >>> from appliance.policy.fake import UniformPolicy
    >>> model_suffix(UniformPolicy.of(["a", "b"])), model_suffix(object())
    ('.json', '.bin')
    """
    return str(getattr(policy, "model_suffix", ".bin"))


@runtime_checkable
class LearnsInBatches(Protocol):
    """A policy that learns a batch of joined events in one call (the loop's learner gives it a tick's events)."""

    def learn_all(self, events: Iterable[JoinedEvent]) -> None:
        """:meth:`Policy.learn` each of ``events``, in order."""
        ...


@runtime_checkable
class CountsFeatures(Protocol):
    """A policy that counts the features it learned from (VW's: every learned example's, shared and actions, interaction
    terms included, as ``example.get_feature_number()`` counts them after learning). The loop keeps the count in its
    checkpoints, so that a restart goes on counting; Statistics reports it."""

    features: int
