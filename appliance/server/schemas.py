"""Request and response bodies of the API: every field described and bounded.

Names that reach Vowpal Wabbit are ASCII and VW-safe; numbers are finite and bounded, so nothing a client
sends can poison the model, the write-ahead log or the DSJSON log.

>>> DecideRequest.model_validate({"context": {"audio": {"level": 0.5}}}).context
{'audio': {'level': 0.5}}
>>> DecideRequest.model_validate({"context": {"a b": {"x": 1}}})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for DecideRequest
...
>>> RewardRequest.model_validate_json('{"event_id": "e1", "reward": 1}').reward
1.0
>>> RewardRequest.model_validate_json('{"event_id": "e1", "reward": "1"}')
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for RewardRequest
reward
  Input should be a valid number [type=float_type, input_value='1', input_type=str]
...
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, StringConstraints

from appliance.policy.base import Decision

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

Namespace = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
FeatureName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
ActionId = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
EventId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Strict: a JSON number (integers too), never a string or a boolean ("1" and true are refused, not coerced)
FeatureValue = Annotated[float, Strict(), Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
RewardValue = Annotated[float, Strict(), Field(ge=-1e6, le=1e6, allow_inf_nan=False)]
Context = Annotated[dict[Namespace, Annotated[dict[FeatureName, FeatureValue], Field(max_length=1024)]], Field(max_length=64)]
ActionList = Annotated[list[ActionId], Field(min_length=1, max_length=256)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecideRequest(Body):
    context: Context | None = Field(
        None,
        description="Context features as {namespace: {feature: number}} (names: ASCII letters, digits, '.', '_', '-'; "
        "at most 64 characters, not starting with '.', '_' or '-'). Omitted: the sensors' current context.",
    )
    actions: ActionList | None = Field(
        None,
        description="The action ids to choose from, a subset of the configured actions. Omitted: all of them.",
    )
    event_id: EventId | None = Field(
        None, description="Your id for this decision (unique; up to 128 characters). Omitted: a new random id.",
    )
    explain: bool = Field(
        False, description="Also return why: each offered action's score and its top contributing features "
        "(value x weight, interaction terms included). Off by default, and then it costs nothing. A policy whose "
        "model cannot be explained still decides: the answer says why in explanation_error.",
    )


class Contribution(BaseModel):
    feature: str = Field(description="The feature or interaction term, as VW names it (room^dark*colour^warm).")
    value: float = Field(description="Its value in this decision (a product for an interaction term).")
    weight: float = Field(description="Its weight in the model, in reward space.")
    contribution: float = Field(description="value x weight: how much it adds to the action's score.")


class ActionExplanation(BaseModel):
    action: str = Field(description="An offered action.")
    score: float = Field(description="The model's estimate of its reward: the sum of every term's contribution.")
    probability: float | None = Field(description="The probability the policy gave it.")
    chosen: bool = Field(description="True for the chosen action.")
    top: list[Contribution] = Field(description="Its largest contributions (by size), largest first.")


class Explanation(BaseModel):
    exploratory: bool = Field(description="True when the chosen action is not the one with the best score (exploration).")
    note: str | None = Field(description="How to read the numbers.")
    actions: list[ActionExplanation] = Field(description="Every offered action, in order.")


class ActionProbability(BaseModel):
    action: str = Field(description="An action id.")
    probability: float = Field(description="The probability the policy gave it.")


class DecideResponse(BaseModel):
    event_id: str = Field(description="The decision's id: send it with its reward.")
    action: str = Field(description="The chosen action.")
    probability: float = Field(description="The probability with which it was chosen.")
    pmf: list[ActionProbability] = Field(description="Every offered action with its probability.")
    model_version: int = Field(description="Number of events the model had learned when it decided.")
    timestamp: float = Field(description="When the decision was made (Unix seconds).")
    explanation: Explanation | None = Field(None, description='Why, when asked with "explain": true; else null.')
    explanation_error: str | None = Field(
        None, description='Why no explanation came though "explain": true asked for one (the policy\'s model cannot be '
        "explained); the decision stands all the same: send its reward as usual. Else null.")

    @classmethod
    def of(cls, decision: Decision, explanation: Explanation | None = None) -> "DecideResponse":
        return cls(event_id=decision.event_id, action=decision.action, probability=decision.probability,
                   pmf=[ActionProbability(action=a, probability=p) for a, p in zip(decision.actions, decision.pmf)],
                   model_version=decision.model_version, timestamp=decision.timestamp, explanation=explanation)


class RewardRequest(Body):
    event_id: EventId = Field(description="The id /api/decide returned (or the one you gave it).")
    reward: RewardValue = Field(description="The reward: higher is better, within +-1e6 (often 0 or 1).")
    reward_id: EventId | None = Field(
        None, description="An id for this reward: resending the same reward id counts it once (safe retries).",
    )


class RewardResponse(BaseModel):
    event_id: str = Field(description="The decision the reward was joined to.")
    status: Literal["accepted", "late", "duplicate"] = Field(
        description="accepted: stored with its decision; late: after the decision's wait, handled by join.late_reward; "
        "duplicate: this reward id was already counted.",
    )
    durable: bool = Field(description="True once the reward is in the write-ahead log (always, for accepted and late).")


class DecisionInfo(BaseModel):
    event_id: str = Field(description="The decision's id.")
    action: str = Field(description="The chosen action.")
    probability: float = Field(description="The probability with which it was chosen.")
    pmf: dict[str, float] = Field(description="{action: probability} at decision time.")
    model_version: int = Field(description="Number of events the model had learned when it decided.")
    timestamp: float = Field(description="When the decision was made (Unix seconds).")


class EventSummary(DecisionInfo):
    status: Literal["pending", "joined"] = Field(description="pending: waiting for rewards; joined: learned.")
    reward: float | None = Field(None, description="The reward it was learned with (joined only).")
    outcome: str | None = Field(None, description="on_time, default (no reward came), overflow, late, replay.")
    rewards_so_far: list[float] = Field(default_factory=list, description="Rewards received while pending.")


class RewardInfo(BaseModel):
    value: float = Field(description="The reward.")
    timestamp: float = Field(description="When it was given (Unix seconds).")
    reward_id: str | None = Field(None, description="The reward id it was sent with, if any.")


class LateRewardInfo(RewardInfo):
    handled: Literal["learned", "logged", "pending"] = Field(
        description="learned: learned as a new example (late_reward: learn); logged: in late.jsonl (late_reward: log); "
        "pending: the next tick handles it.",
    )


class EventDetail(DecisionInfo):
    state: Literal["pending", "learned"] = Field(description="pending: waiting for rewards; learned: joined and learned.")
    reward: float | None = Field(None, description="The reward it was learned with (learned only).")
    outcome: str | None = Field(
        None, description="Why it was joined when it was: on_time, default (no reward came), overflow; null when only the "
        "event log knows it (the log keeps the reward, not the why).",
    )
    rewards: list[RewardInfo] = Field(description="Rewards received while pending.")
    late_rewards: list[LateRewardInfo] = Field(description="Rewards that came after its wait, and what became of them.")
    found_in: Literal["memory", "event log"] = Field(description="Where it was found: the loop's memory, or the event log.")


class EventsResponse(BaseModel):
    events: list[EventSummary] = Field(description="Most recent first.")


class ModelUploadResponse(BaseModel):
    model_version: int = Field(description="The version the uploaded model now runs as.")
    bytes: int = Field(description="Size of the uploaded model.")
    sha256: str = Field(description="SHA-256 of the uploaded model.")


class ConfigBody(Body):
    yaml: str = Field(max_length=262_144, description="The whole config as YAML (see `wabbit config default`).")
    base: str | None = Field(None, max_length=64, description=(
        "The `version` GET /api/config gave for the config this one was edited from: if the config changed since (another "
        "editor applied one, or the file was edited), 409 and nothing changes. Left out: applied whatever is in force."))


class ConfigResponse(BaseModel):
    yaml: str = Field(description="The config in force, as YAML.")
    path: str | None = Field(description="The file it is read from and written to.")
    error: str | None = Field(None, description="Why the daemon is in safe mode (an invalid config), else null.")
    version: str = Field(description="A digest of `yaml`: send it back as PUT's `base`, so that a change made meanwhile is not overwritten.")


class ConfigApplied(BaseModel):
    path: str = Field(description="The file the new config was written to.")
    version: str = Field(description="The `version` of the config now in force (the `base` of the next PUT).")
    restarted: list[str] = Field(description="Workers restarted to apply it.")
    restart_required: list[str] = Field(
        description="Sections that take effect only after `wabbit run` restarts (policy, join, storage, server).",
    )


class LoginRequest(Body):
    token: str = Field(min_length=1, max_length=256, description="The access token (the file `token` in the data directory).")


class FeatureRow(BaseModel):
    name: str | None = Field(description="The feature or interaction term; null for a weight no logged decision explains.")
    namespace: str = Field(description="Its namespace (room*colour for an interaction term).")
    model: str = Field(description="The sub-model (a bag or cover of an ensemble), or empty.")
    index: int = Field(description="Its weight's index, as VW's --invert_hash numbers it.")
    min: float | None = Field(description="The smallest value it took in the logged decisions.")
    max: float | None = Field(description="The largest value it took.")
    count: int = Field(description="How often it occurred.")
    weight: float = Field(description="Its weight, in reward space.")
    relscore: float | None = Field(description="100 x weight / the largest |weight| (vw-varinfo's RelScore; 0 for the Constant).")
    importance: float | None = Field(description="|weight| x the range of its values (absence counts as 0).")


class FeaturesResponse(BaseModel):
    model_version: int = Field(description="The model these weights belong to.")
    note: str | None = Field(description="How to read the weights.")
    total: int = Field(description="Rows matching the filter.")
    unnamed: int = Field(description="Non-zero weights no logged decision explains (their names cannot be known).")
    decisions_read: int = Field(description="Logged decisions the names and ranges come from.")
    rows: list[FeatureRow] = Field(description="This page of rows.")


class Message(BaseModel):
    detail: Any = Field(description="What was wrong and what to do.")


def message(description: str) -> dict[str, Any]:
    """An error answer's entry in a route's ``responses``: a :class:`Message` with ``description``, by reference to the
    spec's component (:func:`appliance.server.fast_path.document_references` puts it there). FastAPI builds a
    pydantic field for each ``{"model": ...}`` entry, only for the OpenAPI spec, twice per route (when it is declared,
    and again when the first request matches the router including it): about 100 such entries cost the first request
    40-80 ms.

    >>> message("Unknown id.")["content"]["application/json"]["schema"]
    {'$ref': '#/components/schemas/Message'}
    """
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Message"}}}}
