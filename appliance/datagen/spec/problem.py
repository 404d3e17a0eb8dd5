"""The ``problem:`` and ``actions:`` sections: what VW learns, and the actions (or classes) it chooses among."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from appliance.config.base import StrictModel
from appliance.datagen.spec.features import Count, Drawn, NamespaceSpec, largest
from appliance.features import check_vw_name

Problem = Literal["regression", "binary", "multiclass", "cost_sensitive", "cost_sensitive_ldf", "cb", "cb_adf", "ccb", "slates"]

ADF: frozenset[str] = frozenset({"cost_sensitive_ldf", "cb_adf", "ccb", "slates"})
"""Problems whose actions are examples of their own, with features (VW's action-dependent features)."""
BANDITS: frozenset[str] = frozenset({"cb", "cb_adf", "ccb", "slates"})
"""Problems whose label is a chosen action's reward, with the probability it was chosen (per slot for ccb and slates)."""
SLOTTED: frozenset[str] = frozenset({"ccb", "slates"})
"""Problems that choose an action for each of several slots (VW's conditional contextual bandits and slates)."""
CLASSES: frozenset[str] = frozenset({"binary", "multiclass", "cost_sensitive", "cb"})
"""Problems without action features: every example offers the whole pool, numbered 1..pool."""


class ProblemSpec(StrictModel):
    type: Problem = Field(
        "cb_adf", description="regression (squared loss), binary (--binary, labels -1/1), multiclass (--oaa), cost_sensitive "
        "(--csoaa), cost_sensitive_ldf (--csoaa_ldf, actions with features), cb (--cb), cb_adf (--cb_adf / --cb_explore_adf), "
        "ccb (--ccb_explore_adf: an action for each slot, without repeats), slates (--slates: each slot chooses among its own "
        "actions; one reward for the slate).")


def _default_namespaces() -> list[NamespaceSpec]:
    return [NamespaceSpec(name="action", type="identity")]


class ActionsSpec(StrictModel):
    pool: int = Field(4, ge=2, le=1_000_000, description="How many different actions (or classes) there are.")
    per_example: Count = Field(
        0, description="Actions offered per example: a number, or {min, max} drawn per example; "
        "0 offers the whole pool. Problems without action features always offer the whole pool.")
    namespaces: list[NamespaceSpec] = Field(
        default_factory=_default_namespaces, min_length=1, max_length=32,
        description="Each action's features, drawn once per action of the pool (default: one identity namespace `action`); "
                    "at least one, or the actions could not be told apart.")
    ids: list[str] | None = Field(
        None, min_length=2, max_length=10_000,
        description="The actions' ids, one per action of the pool, distinct (default: a0, a1, ...); identity namespaces "
                    "take an action's id as its feature, and the truth file lists the actions by them.")

    @field_validator("per_example")
    @classmethod
    def _within_pool(cls, count: Count, info: ValidationInfo) -> Count:
        pool = info.data.get("pool")
        if isinstance(count, int) and count < 0:
            raise ValueError(f"a negative count of actions ({count}); give 0 for the whole pool, or a positive number")
        if isinstance(count, Drawn) and count.min < 1:
            raise ValueError("every example needs at least one action: give min >= 1")
        if pool is not None and largest(count) > pool:
            raise ValueError(f"{largest(count)} actions per example is more than the pool ({pool}): raise actions.pool "
                             "or lower per_example")
        return count

    @field_validator("ids")
    @classmethod
    def _one_id_each(cls, ids: list[str] | None, info: ValidationInfo) -> list[str] | None:
        pool = info.data.get("pool")
        if ids is None or pool is None:
            return ids
        for action in ids:
            check_vw_name(action, "action id")
        if len(ids) != pool:
            raise ValueError(f"{len(ids)} ids for a pool of {pool} actions: give one id per action")
        if len(set(ids)) < len(ids):
            raise ValueError("action ids repeat: give each action its own id")
        return ids

    def offered(self) -> Count:
        """Actions per example, with 0 read as the whole pool."""
        return self.per_example or self.pool
