"""The ``shared:`` and ``actions.namespaces:`` entries of a spec: one namespace of features each."""

from __future__ import annotations

from typing import Any, Iterable, Literal

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


class LocBy(StrictModel):
    """A location that depends on the feature an earlier shared namespace drew (a daylight curve over the hour)."""

    namespace: str = Field(..., min_length=1, max_length=64,
                           description="An earlier shared namespace of one feature per example (count: 1), e.g. the hour.")
    table: dict[str, float] = Field(..., min_length=1, max_length=65_536,
                                    description="That namespace's feature name -> the location; a feature not listed keeps `loc`.")


class Values(StrictModel):
    distribution: Literal["normal", "uniform", "lognormal", "exponential", "constant"] = Field(
        "normal", description="How each feature value is drawn: normal(loc, scale), uniform(loc - scale, loc + scale), "
        "lognormal (the log is normal(loc, scale)), exponential (mean scale, shifted by loc), constant (loc).")
    loc: float = Field(0.0, ge=-1e4, le=1e4, description="Location: the mean of normal, the centre of uniform, the value of constant.")
    scale: float = Field(1.0, ge=0.0, le=1e4, description="Spread: standard deviation, half-width or mean (see distribution).")
    loc_by: LocBy | None = Field(None, description="Shared namespaces only: the location given per feature of an earlier "
                                 "namespace instead of `loc` (none: `loc` for every example).")
    min: float | None = Field(None, ge=-1e4, le=1e4, description="Values drawn below this are this (none: no floor).")
    max: float | None = Field(None, ge=-1e4, le=1e4, description="Values drawn above this are this (none: no ceiling).")

    @model_validator(mode="after")
    def _bounds(self) -> Values:
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min}); give min <= max")
        return self


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
    names: list[str] | None = Field(
        None, min_length=1, max_length=65_536,
        description="Given feature names, distinct: dense, the names of its `count` features (instead of f0, f1, ...); "
        "categorical, its vocabulary (instead of random strings; `vocabulary` is their number, `length` unused).")
    values: Values | None = Field(None, description="How values are drawn; default: normal(0, 1) for dense and sparse, 1 otherwise.")

    @field_validator("names")
    @classmethod
    def _vw_names(cls, names: list[str] | None) -> list[str] | None:
        if names is not None:
            for name in names:
                check_vw_name(name, "feature name")
            if len(set(names)) < len(names):
                raise ValueError("feature names repeat: give each feature its own name")
        return names

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

    @model_validator(mode="before")
    @classmethod
    def _vocabulary_of_names(cls, data: Any) -> Any:
        """A categorical namespace's given names are its vocabulary."""
        if isinstance(data, dict) and data.get("type") == "categorical" and isinstance(data.get("names"), list) and "vocabulary" not in data:
            return {**data, "vocabulary": len(data["names"])}
        return data

    @model_validator(mode="after")
    def _fits(self) -> NamespaceSpec:
        if self.names is not None:
            self._named()
        if self.type == "dense" and not isinstance(self.count, int):
            raise ValueError("a dense namespace has every feature in every example: give count as a number, or use type: sparse")
        if self.type in ("sparse", "categorical", "hashed") and largest(self.count) > self.vocabulary:
            raise ValueError(f"count ({largest(self.count)}) is more than the vocabulary ({self.vocabulary}): "
                             "features of one example are distinct, so raise vocabulary or lower count")
        if self.type == "categorical" and self.names is None and 26**self.length < self.vocabulary:
            raise ValueError(f"{self.vocabulary} different strings need more than {self.length} letters: raise length or lower vocabulary")
        if self.type == "identity" and self.count != 1:
            raise ValueError("an identity namespace has exactly one feature (the action's id): leave count out")
        return self

    def _named(self) -> None:
        assert self.names is not None
        if self.type == "dense" and len(self.names) != self.count:
            raise ValueError(f"{len(self.names)} names for {self.count} features: a dense namespace names each of its `count` features")
        if self.type == "categorical" and self.vocabulary != len(self.names):
            raise ValueError(f"vocabulary ({self.vocabulary}) is not the number of names ({len(self.names)}): leave vocabulary out")
        if self.type not in ("dense", "categorical"):
            raise ValueError(f"names are given for dense and categorical namespaces, not {self.type}: remove names")

    def indices(self, names: Iterable[str]) -> list[int]:
        """The vocabulary index of each feature name, -1 for a name this namespace never draws (every name of random
        categorical strings, which are not given).

        >>> NamespaceSpec(name="t", type="categorical", names=["am", "pm"]).indices(["pm", "noon"])
        [1, -1]
        >>> NamespaceSpec(name="x", count=2).indices(["f1", "f2"]), NamespaceSpec(name="h", type="hashed").indices(["7"])
        ([1, -1], [7])
        """
        if self.names is not None:
            given = {name: i for i, name in enumerate(self.names)}
            return [given.get(name, -1) for name in names]
        if self.type == "categorical":
            return [-1 for _ in names]
        size, prefix = (largest(self.count), "f") if self.type == "dense" else (self.vocabulary, "" if self.type == "hashed" else "f")

        def index(name: str) -> int:
            digits = name[len(prefix):]
            number = int(digits) if name.startswith(prefix) and digits.isascii() and digits.isdigit() else -1
            return number if 0 <= number < size else -1

        return [index(name) for name in names]

    def value_distribution(self) -> Values:
        if self.values is not None:
            return self.values
        return Values() if self.type in ("dense", "sparse") else ONE


def features_drawn(ns: NamespaceSpec) -> str:
    """The features a namespace draws, in a few words (for errors)."""
    if ns.names is not None:
        return ", ".join(ns.names[:4]) + (", ..." if len(ns.names) > 4 else "")
    prefix, size = ("", ns.vocabulary) if ns.type == "hashed" else ("f", largest(ns.count) if ns.type == "dense" else ns.vocabulary)
    return f"{prefix}0 to {prefix}{size - 1}"


def refuse_loc_by(namespaces: list[NamespaceSpec], whose: str) -> None:
    """Refuse a ``values.loc_by`` among ``namespaces``: only a context's namespaces can follow another (``whose``
    features are drawn apart)."""
    for ns in namespaces:
        if ns.values is not None and ns.values.loc_by is not None:
            raise ValueError(f"namespace {ns.name!r}: values.loc_by follows an earlier shared namespace, and {whose} features "
                             "are drawn apart from the context: remove loc_by, or move the namespace to shared")


def check_loc_by(shared: list[NamespaceSpec]) -> None:
    """Refuse a ``values.loc_by`` that does not follow an earlier namespace of one feature per example, or names
    features that namespace never draws.

    >>> hour = NamespaceSpec(name="hour", type="categorical", names=["am", "pm"])
    >>> light = NamespaceSpec(name="light", values={"loc_by": {"namespace": "hour", "table": {"noon": 0.9}}})
    >>> check_loc_by([hour, light])
    Traceback (most recent call last):
    ...
    ValueError: namespace 'light': loc_by's table names 'noon', which namespace 'hour' never draws
    """
    earlier: dict[str, NamespaceSpec] = {}
    for ns in shared:
        by = ns.values.loc_by if ns.values is not None else None
        if by is not None:
            given = earlier.get(by.namespace)
            if given is None or given.count != 1:
                raise ValueError(f"namespace {ns.name!r}: loc_by follows {by.namespace!r}, which is not an earlier shared namespace of "
                                 f"one feature per example; the earlier ones are {', '.join(earlier) or 'none'} (list it first, count: 1)")
            unknown = [name for name, index in zip(by.table, given.indices(by.table)) if index < 0]
            if unknown:
                raise ValueError(f"namespace {ns.name!r}: loc_by's table names {unknown[0]!r}, which namespace {by.namespace!r} never draws")
        earlier[ns.name] = ns
