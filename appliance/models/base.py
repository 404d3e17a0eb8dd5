"""The models one daemon serves, by name: what the HTTP and gRPC APIs call.

Two kinds of model:

- ``loop``: the appliance's closed loop (decide, reward, join, learn) from a config. The default model,
  ``default``, is the daemon's own (its config file, its data directory); others live in
  ``DATA_DIR/models/<name>/``, each with its own config, write-ahead log, checkpoints and statistics.
- ``vw``: a Vowpal Wabbit model of any type (scalar, multiclass, cost-sensitive, contextual bandit...) made from
  VW arguments: it predicts and learns raw examples.

Every method is synchronous and thread-safe (an async server calls it in a thread); what a method returns as
acknowledged is durable (in a write-ahead log or a checkpoint) and survives ``kill -9``. Errors are
:class:`~appliance.errors.WabbitError` subclasses whose messages say what to fix: :class:`UnknownModelError`
(gRPC NOT_FOUND, HTTP 404), :class:`ModelExistsError` (ALREADY_EXISTS, 409), :class:`ModelKindError`
(FAILED_PRECONDITION, 409), :class:`~appliance.errors.UsageError` (INVALID_ARGUMENT, 422).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Protocol, Sequence

import orjson

from appliance.errors import UsageError, WabbitError
from appliance.features import Features
from appliance.join.rewards import RewardResult
from appliance.policy.base import Decision
from appliance.storage.checkpoints import CheckpointMeta
from appliance.storage.wal_tickets import Ticket

ModelKind = Literal["loop", "vw"]
ExampleFormat = Literal["text", "dsjson"]
"""``text``: VW's text format, one example per item (a multi-line example for ADF reductions, its lines joined
by newlines); ``dsjson``: one DSJSON line per item."""
DEFAULT_MODEL = "default"


class UnknownModelError(WabbitError, LookupError):
    """No model has this name."""


class ModelExistsError(WabbitError):
    """A model with this name exists already."""


class ModelKindError(WabbitError):
    """The call does not apply to this kind of model (e.g. ``decide`` on a ``vw`` model)."""


class ModelDiverged(ModelKindError):
    """The model holds a weight that is not a finite number: what reads its weights cannot go on."""


def weight_entries(workspace: Any) -> list[dict[str, Any]]:
    """Every non-zero weight of a VW workspace (``{"index", "value"}``), in one native call; :class:`ModelDiverged`
    when one is infinite or not a number (VW's JSON writer stops there, so no count is right).

    >>> import vowpalwabbit
    >>> ws = vowpalwabbit.Workspace("--quiet -b 10")
    >>> ws.learn("1 |a x")
    >>> len(weight_entries(ws))
    2
    >>> ws.finish()
    """
    try:
        return orjson.loads(workspace.json_weights())["weights"]  # type: ignore[no-any-return]
    except orjson.JSONDecodeError:
        raise ModelDiverged("the model holds a weight that is not a finite number: it diverged (a label, cost or importance "
                            "too large, or a probability too small, can do it). Roll it back to a version from before "
                            "(Versions, Rollback) and leave that example out") from None


def version_above(current: int, saved: Iterable[int], asked: int | None = None) -> int:
    """The version a model file swapped in (an upload, a bundle, a rollback) runs as: ``asked`` (a bundle's packed
    version, an upload's ``model_version``) when it is above every version the model has had (``current``, the one
    it runs as, and its ``saved`` ones), else the next one above them. A model's versions only go up, so a number
    names one version and a rollback to it is never ambiguous.

    >>> version_above(2, [2, 1])
    3
    >>> version_above(2, [2, 1], asked=0)
    3
    >>> version_above(0, [], asked=90)
    90
    """
    highest = max([current, *saved])
    return asked if asked is not None and asked > highest else highest + 1


@dataclass(frozen=True)
class Prediction:
    """One example's prediction. ``type``: VW's prediction type, lower case without its ``p`` (``scalar``,
    ``scalars``, ``multiclass``, ``multilabels``, ``action_scores``, ``action_probs``, ``prob``,
    ``multiclass_probs``, ``decision_scores``, ``action_pdf_value``, ``pdf``, ``active_multiclass``,
    ``nopred``); ``value``: a number, or a list (``action_scores`` and ``action_probs``: one score or probability
    per action, in the example's order; ``action_pdf_value``: ``[action, pdf value]``), as JSON has them."""

    type: str
    value: Any


@dataclass(frozen=True)
class ModelStatistics:
    """What VW counts for a model, and the serving counts (Triton's fields)."""

    model_version: int
    examples: int
    """Examples learned: VW's count (a vw model's, kept with its checkpoints and read from a file uploaded or served
    from a bundle, whatever version that runs as); a loop model's learned events."""
    weighted_examples: float
    sum_loss: float
    average_loss: float | None
    features: int | None
    """Features in the examples learned (as VW's ``total_features`` counts them: each example's, interaction terms
    included); ``None`` for a loop model whose policy is not VW."""
    nonzero_weights: int | None
    """The VW model's weights that are not zero; ``None`` for a loop model whose policy is not VW (it has no VW weights)."""


@dataclass(frozen=True)
class Origin:
    """Where the version a model runs as came from, kept in its checkpoints' sidecars (``stats["origin"]``) while the
    model runs as that version (a restart keeps it; learning on to another version leaves it behind)."""

    how: str
    """``upload``, ``bundle``, ``rollback``, or ``source NAME`` (a model source)."""
    named: int | None
    """The version it named: an upload's ``model_version``, a bundle's packed one, the one rolled back to, the one a
    model source publishes; ``None`` when it named none."""
    runs_as: int

    def stats(self, version: int) -> dict[str, Any]:
        """What a checkpoint of ``version`` keeps of it (nothing once the model learned on to another version)."""
        return {"origin": {"how": self.how, "named": self.named, "runs_as": self.runs_as}} if version == self.runs_as else {}

    @classmethod
    def kept(cls, meta: CheckpointMeta | None) -> Origin | None:
        """The origin a checkpoint kept, if it kept one (one written before origins were kept did not).

        >>> meta = CheckpointMeta(3, 1, 0, "", 0.0, Origin("bundle", 0, 3).stats(3))
        >>> Origin.kept(meta)
        Origin(how='bundle', named=0, runs_as=3)
        """
        kept = meta.stats.get("origin") if meta is not None else None
        if meta is None or not isinstance(kept, dict) or kept.get("runs_as") != meta.model_version:
            return None
        named = kept.get("named")
        return cls(str(kept.get("how", "")), int(named) if named is not None else None, int(kept["runs_as"]))


@dataclass(frozen=True)
class ModelVersion:
    """One saved version of a model (a checkpoint)."""

    version: int
    created: float
    sha256: str
    size: int
    origin: str = ""
    """Where it came from (:attr:`Origin.how`); ``""`` for a version the model learned to."""
    source_version: int | None = None
    """The version its origin named (:attr:`Origin.named`): a bundle's packed version, the version rolled back to..."""

    @classmethod
    def of(cls, meta: CheckpointMeta, path: Path) -> ModelVersion:
        """The version a checkpoint (its sidecar and model file) holds."""
        origin = Origin.kept(meta)
        return cls(meta.model_version, meta.created, meta.sha256, path.stat().st_size if path.exists() else 0,
                   origin.how if origin else "", origin.named if origin else None)


class ServedModel(Protocol):
    """One named model."""

    name: str
    kind: ModelKind

    def ready(self) -> bool:
        """Whether it answers calls now (a ``loop`` model in safe mode does not)."""
        ...

    def policy_type(self) -> str:
        """The policy it runs: ``vw`` for a vw model, a loop model's ``policy.type``; raw examples need ``vw``."""
        ...

    def decide(self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None) -> Decision:
        """Choose an action (``loop`` models); returns once the decision is durable."""
        ...

    def begin_decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None, *, wait: bool = True
    ) -> tuple[Decision, Ticket] | None:
        """:meth:`decide` without waiting for durability: the ticket completes once the decision is durable (acknowledge
        it only then). ``wait=False``: ``None`` at once when the model is busy (what an event loop calls, so that it
        never blocks: it hands the call to a thread instead)."""
        ...

    def reward(self, event_id: str, value: float, reward_id: str | None = None) -> RewardResult:
        """A reward for a decision (``loop`` models); returns once it is durable (``unknown`` and ``duplicate`` are
        not stored)."""
        ...

    def begin_reward(
        self, event_id: str, value: float, reward_id: str | None = None, *, wait: bool = True
    ) -> tuple[RewardResult, Ticket] | None:
        """:meth:`reward` without waiting for durability, as :meth:`begin_decide` (``wait=False``: ``None`` at once
        when the model is busy)."""
        ...

    def predict(self, examples: Sequence[str], fmt: ExampleFormat) -> list[Prediction]:
        """The model's prediction for each example, learning nothing."""
        ...

    def learn(self, examples: Sequence[str], fmt: ExampleFormat) -> int:
        """Learn labelled examples; returns how many once they are durable."""
        ...

    def statistics(self) -> ModelStatistics:
        ...

    def export(self) -> tuple[Path, ModelVersion]:
        """The file of the newest version, saved now (read it, do not change it)."""
        ...

    def model_suffix(self) -> str:
        """Its model file's suffix (``.vw``; a loop model's policy kind's: ``.npz`` for linucb), for a download's name."""
        ...

    def close(self) -> None:
        """Stop serving: flush and checkpoint (the host calls it at shutdown or deletion)."""
        ...

    def load_file(self, path: Path, model_version: int | None = None, how: str = "upload") -> ModelVersion:
        """Check the model file in a child process, then swap it in atomically and save it as a new version, numbered
        by :func:`version_above` (``model_version`` when above every version the model has had) and kept with where
        it came from (``how``: :attr:`Origin.how`); a file that fails the check raises UsageError and the model in
        use stays."""
        ...

    def versions(self) -> list[ModelVersion]:
        """The saved versions, newest first."""
        ...

    def rollback(self, version: int) -> ModelVersion:
        """Load a saved version again, saved as a new version (:func:`version_above`)."""
        ...

    def status(self) -> dict[str, Any]:
        """A JSON-able snapshot (what ``/api/models/{name}`` shows)."""
        ...


class ModelHost(Protocol):
    """Every model of the daemon, by name."""

    def names(self) -> list[str]:
        """The models' names, ``default`` first."""
        ...

    def get(self, name: str) -> ServedModel:
        """The model ``name`` (``""`` is the default model); UnknownModelError otherwise."""
        ...

    def create(self, name: str, *, vw_arguments: str | None = None, config_text: str | None = None) -> ServedModel:
        """A new model: a ``vw`` one from VW arguments, or a ``loop`` one from a config (YAML text); persisted, so
        it is served again after a restart."""
        ...

    def install(self, bundle: Path, name: str | None = None, *, update: bool = False,
                shown: str | None = None) -> tuple[ServedModel, ModelVersion]:
        """Serve the model a bundle holds (``wabbit model pack`` writes them) as ``name`` (default: the bundle's), and the
        version it runs as (:func:`version_above`: the packed one when above every version the model has had).
        ``update``: a model of that name running the bundle's VW arguments or config loads the bundle's model as a new
        version (checked, swapped atomically); else a model of that name is ModelExistsError. ``shown``: how errors
        name the bundle."""
        ...

    def delete(self, name: str) -> None:
        """Stop serving ``name`` and delete its data (not the default model's)."""
        ...


NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
"""What a model's name may be: it names its folder under ``models/`` and its URL path."""


def check_name(name: str) -> str:
    """A new model's name, checked.

    >>> check_name("ratings-v2")
    'ratings-v2'
    >>> check_name("../etc")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: model name '../etc': use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit
    """
    if not NAME.match(name) or name in (".", ".."):
        raise UsageError(f"model name {name[:80]!r}: use 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name
