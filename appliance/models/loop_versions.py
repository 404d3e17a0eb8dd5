"""The version a model file swapped into a loop runs as (an upload's, a rollback's, a model source's): above every
version the loop's model has had (:func:`~appliance.models.base.version_above`). Apart from :mod:`loop_model` so that
the supervisor's model source installs through it without importing the supervisor back."""

from __future__ import annotations

from pathlib import Path

from appliance.loop import Loop
from appliance.models.base import version_above


def version_after(loop: Loop, asked: int | None = None) -> int:
    """The version a model file swapped into ``loop`` runs as (:func:`version_above`): an upload's, a rollback's."""
    saved = [meta.model_version for meta, _ in loop.checkpoints.entries()] if loop.checkpoints is not None else []
    return version_above(loop.policy.model_version, saved, asked)


def load_pulled(loop: Loop, source: str, path: Path, published: int | None = None) -> int:
    """Swap in a model the model source ``source`` (its name) pulled, checked already, as a new version of ``loop``'s
    model: the version the source says it publishes when above every version the model has had, else the next one
    (:func:`version_after`), so that a fleet appliance that learns nothing itself still numbers each model it installs
    anew."""
    return loop.load_model(path, lambda: version_after(loop, published), reason="source", how=f"source {source}", named=published)
