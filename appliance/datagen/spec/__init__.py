"""A generator spec: one YAML or JSON file (a pydantic model, unknown keys refused) that says what to generate.

Errors name the spec file's line, the key, what was wrong and what the key means:

>>> load_spec_text("examples: -5\\n", "bad.yaml")
Traceback (most recent call last):
...
appliance.errors.ConfigError: bad.yaml:1: examples: Input should be greater than or equal to 1 (got -5). How many examples (events) to generate.
>>> load_spec_text("problem: {type: cb_adf}\\nactions: {pool: 3, per_example: 5}\\n", "bad.yaml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.errors.ConfigError: bad.yaml:2: actions.per_example: Value error, 5 actions per example is more than the pool (3): raise ... (got 5). ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from appliance.config.base import StrictModel, format_validation_error, load_yaml_file, load_yaml_model
from appliance.datagen.spec.features import Count, Drawn, LocBy, NamespaceSpec, Values, check_loc_by, refuse_loc_by
from appliance.datagen.spec.problem import ADF, BANDITS, CLASSES, SLOTTED, ActionsSpec, Problem, ProblemSpec
from appliance.datagen.spec.slots import SlotsSpec, check_slots
from appliance.datagen.spec.trouble import RewardsSpec, TimeSpec
from appliance.datagen.spec.truth import DriftSpec, LoggingSpec, TruthSpec, check_given
from appliance.errors import ConfigError, UsageError

SCHEMA_COMMAND = "wabbit gen schema"


class DecimalsSpec(StrictModel):
    values: int = Field(4, ge=0, le=6, description="Decimal places of feature values, labels, costs and rewards.")
    propensities: int = Field(6, ge=1, le=6, description="Decimal places of probabilities; each pmf sums to exactly 1 in them.")


class GenSpec(StrictModel):
    seed: int = Field(0, ge=0, le=2**63 - 1, description="The seed: the same spec and seed give byte-identical files.")
    examples: int = Field(1000, ge=1, le=10**10, description="How many examples (events) to generate.")
    problem: ProblemSpec = Field(default_factory=ProblemSpec, description="What VW learns from the data.")
    shared: list[NamespaceSpec] = Field(
        default_factory=lambda: [NamespaceSpec(name="user", count=4)], max_length=64,
        description="The context's namespaces (the shared example in ADF formats).")
    actions: ActionsSpec | None = Field(
        None, validate_default=True,
        description="The actions or classes (default: 4 with an identity namespace); none for regression and binary.")
    slots: SlotsSpec | None = Field(
        None, validate_default=True,
        description="ccb and slates: the slots each example fills (default: 2, with an identity namespace `slot`); none otherwise.")
    truth: TruthSpec = Field(default_factory=TruthSpec, validate_default=True, description="How labels and rewards are made.")
    logging: LoggingSpec = Field(default_factory=LoggingSpec, validate_default=True, description="Bandits: the policy that chose the logged actions.")
    time: TimeSpec = Field(default_factory=TimeSpec, description="Timestamps of the events.")
    rewards: RewardsSpec = Field(default_factory=RewardsSpec, validate_default=True, description="Bandits: how rewards arrive, or do not.")
    corrupt: float = Field(0.0, ge=0.0, le=1.0, description="Share of examples written corrupt (cut short, or garbage), to test parsers.")
    decimals: DecimalsSpec = Field(default_factory=DecimalsSpec, description="Precision of the numbers written.")

    @field_validator("shared")
    @classmethod
    def _shared(cls, shared: list[NamespaceSpec]) -> list[NamespaceSpec]:
        if any(ns.type == "identity" for ns in shared):
            raise ValueError("identity namespaces belong to actions.namespaces: a context has no id of its own")
        check_loc_by(shared)
        return shared

    @field_validator("actions")
    @classmethod
    def _actions(cls, actions: ActionsSpec | None, info: ValidationInfo) -> ActionsSpec | None:
        problem: ProblemSpec | None = info.data.get("problem")
        if problem is None:
            return actions
        if problem.type in ("regression", "binary"):
            if actions is not None:
                raise ValueError(f"{problem.type} has no actions: remove the actions section")
            return None
        actions = actions or ActionsSpec()
        refuse_loc_by(actions.namespaces, "an action's")
        names = [ns.name for ns in info.data.get("shared", [])] + [ns.name for ns in actions.namespaces]
        if len(set(names)) < len(names):
            raise ValueError(f"namespace names repeat ({', '.join(names)}): give each shared and action namespace its own name")
        if problem.type in CLASSES:
            if actions.per_example not in (0, actions.pool):
                raise ValueError(f"{problem.type} offers every class in every example: leave per_example out")
            if [ns.type for ns in actions.namespaces] != ["identity"]:
                raise ValueError(f"{problem.type} has no action features: leave namespaces out, or use a problem with them "
                                 f"({', '.join(sorted(ADF))})")
        return actions

    @field_validator("slots")
    @classmethod
    def _slots(cls, slots: SlotsSpec | None, info: ValidationInfo) -> SlotsSpec | None:
        problem: ProblemSpec | None = info.data.get("problem")
        actions: ActionsSpec | None = info.data.get("actions")
        if problem is None or actions is None and problem.type in SLOTTED:
            return slots
        if problem.type not in SLOTTED:
            if slots is not None:
                raise ValueError(f"{problem.type} has no slots: remove the slots section (ccb and slates only)")
            return None
        assert actions is not None
        slots = slots or SlotsSpec()
        refuse_loc_by(slots.namespaces, "a slot's")
        names = [ns.name for ns in info.data.get("shared", [])] + [ns.name for ns in actions.namespaces] + [ns.name for ns in slots.namespaces]
        if len(set(names)) < len(names):
            raise ValueError(f"namespace names repeat ({', '.join(names)}): give each shared, action and slot namespace its own name")
        check_slots(problem.type, slots, actions)
        return slots

    @field_validator("truth")
    @classmethod
    def _truth(cls, truth: TruthSpec, info: ValidationInfo) -> TruthSpec:
        if truth.outcome == "bernoulli" and not truth.probability():
            raise ValueError("a bernoulli outcome needs a probability: set link: logistic, or clip: [low, high] within [0, 1]")
        problem: ProblemSpec | None = info.data.get("problem")
        actions: ActionsSpec | None = info.data.get("actions")
        if problem is not None and "shared" in info.data and (actions is not None or problem.type in ("regression", "binary")):
            check_given(truth, info.data.get("shared", []), problem.type, actions.pool if actions is not None else 0)
        if truth.drift is not None and truth.drift.mode == "rotate" and problem is not None and problem.type in ("regression", "binary", "slates"):
            raise ValueError(f"drift mode rotate passes each action's truth to the next action of the pool, and {problem.type} has "
                             "no such pool: use mode abrupt or gradual")
        if not truth.main_effects and truth.model == "linear" and truth.interactions == []:
            raise ValueError("main_effects: false leaves only the interactions, and there are none: the score would be 0")
        known = [ns.name for ns in info.data.get("shared", [])]
        known += [ns.name for ns in actions.namespaces] if actions is not None else []
        slots: SlotsSpec | None = info.data.get("slots")
        known += [ns.name for ns in slots.namespaces] if slots is not None else []
        if truth.interactions != "auto":
            for pair in truth.interactions:
                unknown = [name for name in pair if name not in known]
                if unknown:
                    raise ValueError(f"interactions name {unknown[0]!r}, which is not a namespace; the namespaces are {', '.join(known)}")
        return truth

    @field_validator("logging")
    @classmethod
    def _logging(cls, logging: LoggingSpec, info: ValidationInfo) -> LoggingSpec:
        if logging.policy == "vw" and logging.model is None:
            raise ValueError("policy: vw needs model: the path of a VW model file")
        problem: ProblemSpec | None = info.data.get("problem")
        if logging.policy == "vw" and problem is not None and problem.type in SLOTTED:
            raise ValueError(f"{problem.type} is logged by uniform, epsilon_greedy or softmax per slot; a VW model (policy: vw) "
                             "logs cb and cb_adf only")
        return logging

    @field_validator("rewards")
    @classmethod
    def _rewards(cls, rewards: RewardsSpec, info: ValidationInfo) -> RewardsSpec:
        problem: ProblemSpec | None = info.data.get("problem")
        if problem is not None and problem.type not in BANDITS and rewards != RewardsSpec():
            raise ValueError(f"{problem.type} has labels, not delayed rewards: remove the rewards section (bandit problems only)")
        return rewards

    def action_spec(self) -> ActionsSpec:
        """The actions: as given, or the two classes of a binary problem, or the one "action" of regression."""
        if self.actions is not None:
            return self.actions
        return ActionsSpec(pool=2) if self.problem.type == "binary" else ActionsSpec(pool=2, per_example=1)


def load_spec_text(text: str, source: str = "<spec>") -> GenSpec:
    """A spec from YAML or JSON text; :class:`~appliance.errors.ConfigError` with the line of each problem."""
    return load_yaml_model(GenSpec, text, source, SCHEMA_COMMAND)


def as_spec(spec: Any, source: str = "<spec mapping>") -> GenSpec:
    """``spec`` itself if it is a :class:`GenSpec`, else a mapping of the spec's sections validated into one
    (:class:`~appliance.errors.ConfigError`, one line per problem, as :func:`load_spec` reports them).

    >>> as_spec({"examples": 5, "problem": {"type": "cb"}}).examples
    5
    >>> as_spec({"examples": 5, "problme": {"type": "cb"}})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.errors.ConfigError: <spec mapping>: problme: unknown key; did you mean `problem`? ...
    """
    if isinstance(spec, GenSpec):
        return spec
    if not isinstance(spec, Mapping):
        raise UsageError(f"the spec is a {type(spec).__name__}: pass a GenSpec (load_spec(path) reads a file, load_spec_text(text) "
                         "YAML or JSON text) or a mapping of its sections")
    try:
        return GenSpec.model_validate(dict(spec))
    except ValidationError as err:
        raise ConfigError(format_validation_error(GenSpec, err, source, None, SCHEMA_COMMAND)) from None


def load_spec(path: Path | str) -> GenSpec:
    """A spec file; a relative ``logging.model`` is taken relative to the file."""
    path = Path(path)
    spec = load_yaml_file(GenSpec, path, SCHEMA_COMMAND)
    if spec.logging.model is not None and not spec.logging.model.is_absolute():
        spec.logging.model = path.parent / spec.logging.model
    return spec


def spec_schema() -> dict[str, Any]:
    """The spec's JSON schema, for editors and for writing specs from other languages."""
    schema = GenSpec.model_json_schema()
    schema["title"] = "Raspberry Wabbit data generator spec"
    return schema


def schema_text() -> str:
    return json.dumps(spec_schema(), indent=2)


__all__ = ["SlotsSpec", "ActionsSpec", "Count", "DecimalsSpec", "DriftSpec", "Drawn", "GenSpec", "LocBy", "LoggingSpec", "NamespaceSpec", "Problem",
           "ProblemSpec", "RewardsSpec", "TimeSpec", "TruthSpec", "Values", "as_spec", "load_spec", "load_spec_text", "schema_text", "spec_schema"]
