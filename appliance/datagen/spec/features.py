"""The ``shared:`` and ``actions.namespaces:`` entries of a spec: one namespace of features each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.features import check_vw_name


class Drawn(StrictModel):
    """A count drawn uniformly for every example, both ends included."""

    min: int = Field(..., ge=0, le=100_000, description="The smallest count.")
    max: int = Field(..., ge=1, le=100_000, description="The largest count.")

    @model_validator(mode="after")
    def _ordered(self) -> Drawn:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min}); give min <= max")
        return self


Count = int | Drawn
"""A fixed count, or ``{min, max}`` drawn per example."""


def largest(count: Count) -> int:
    """The most a count can be.

    >>> largest(3), largest(Drawn(min=1, max=5))
    (3, 5)
    """
    return count if isinstance(count, int) else count.max


class Values(StrictModel):
    distribution: Literal["normal", "uniform", "lognormal", "exponential", "constant"] = Field(
        "normal", description="How each feature value is drawn: normal(loc, scale), uniform(loc - scale, loc + scale), "
        "lognormal (the log is normal(loc, scale)), exponential (mean scale, shifted by loc), constant (loc).")
    loc: float = Field(0.0, ge=-1e4, le=1e4, description="Location: the mean of normal, the centre of uniform, the value of constant.")
    scale: float = Field(1.0, ge=0.0, le=1e4, description="Spread: standard deviation, half-width or mean (see distribution).")


ONE = Values(distribution="constant", loc=1.0)


class NamespaceSpec(StrictModel):
    name: str = Field(..., min_length=1, max_length=64,
                      description="The namespace's name (VW uses its first character as the namespace index in -q).")
    type: Literal["dense", "sparse", "categorical", "hashed", "identity"] = Field(
        "dense", description="dense: features f0..f{count-1}, all present; sparse: `count` of f0..f{vocabulary-1}; "
        "categorical: `count` random strings of `length` characters out of `vocabulary`, value 1; hashed: `count` integer "
        "names below `vocabulary`, which VW uses as hashes; identity (actions and slots only): the action's or slot's own id.")
    count: Count = Field(1, description="Features per example: a number, or {min, max} drawn per example (not for dense).")
    vocabulary: int = Field(100, ge=1, le=16_777_216, description="sparse, categorical, hashed: how many different features there are.")
    length: int = Field(8, ge=1, le=64, description="categorical: characters per string.")
    values: Values | None = Field(None, description="How values are drawn; default: normal(0, 1) for dense and sparse, 1 otherwise.")

    @field_validator("name")
    @classmethod
    def _vw_name(cls, name: str) -> str:
        return check_vw_name(name, "namespace")

    @field_validator("count")
    @classmethod
    def _count(cls, count: Count) -> Count:
        if isinstance(count, int) and count < 1:
            raise ValueError(f"a namespace needs at least 1 feature per example (got {count}); remove the namespace instead")
        return count

    @model_validator(mode="after")
    def _fits(self) -> NamespaceSpec:
        if self.type == "dense" and not isinstance(self.count, int):
            raise ValueError("a dense namespace has every feature in every example: give count as a number, or use type: sparse")
        if self.type in ("sparse", "categorical", "hashed") and largest(self.count) > self.vocabulary:
            raise ValueError(f"count ({largest(self.count)}) is more than the vocabulary ({self.vocabulary}): "
                             "features of one example are distinct, so raise vocabulary or lower count")
        if self.type == "categorical" and 26**self.length < self.vocabulary:
            raise ValueError(f"{self.vocabulary} different strings need more than {self.length} letters: raise length or lower vocabulary")
        if self.type == "identity" and self.count != 1:
            raise ValueError("an identity namespace has exactly one feature (the action's id): leave count out")
        return self

    def value_distribution(self) -> Values:
        if self.values is not None:
            return self.values
        return Values() if self.type in ("dense", "sparse") else ONE
