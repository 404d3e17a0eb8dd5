"""The ``observers:`` section: subscribers of the typed loop events, each with its own bounded queue.

>>> from pydantic import TypeAdapter
>>> TypeAdapter(list[ObserverConfig]).validate_python([{"type": "recording", "keep": 10}])[0].max_queue
4096
>>> PolicyValueObserverConfig(candidates=["--cb_explore_adf --epsilon 0.05"]).interval
'cs'
"""

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from appliance.config.base import StrictModel
from appliance.registry import KindOf

EventName = Literal["DecisionMade", "RewardReceived", "EventJoined", "ModelSwapped", "StatsTaken"]
"""The loop event types (classes of :mod:`appliance.events`) by name."""
LOOP_EVENTS: tuple[EventName, ...] = ("DecisionMade", "RewardReceived", "EventJoined", "ModelSwapped")


class ObserverConfigBase(StrictModel):
    """What every observer's config has: a ``type``, a name and the size of its queue."""

    example: ClassVar[dict[str, Any]] = {}
    """Values for the required fields, for the contract test and the docs."""

    type: str = Field(description="The kind of observer.")
    name: str = Field(default="", max_length=64, pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9._-]*$",
                      description="Name shown in /api/status; empty: `<type>-<index>`.")
    max_queue: int = Field(default=4096, ge=1, le=1_000_000,
                           description="Events waiting for this observer; when full, new ones are dropped (counted in /api/status).")
    linger_s: float = Field(default=0.05, ge=0.0, le=10.0,
                            description="Seconds events gather once one arrives before the observer takes them all: one "
                                        "wake-up of its thread per batch, not per event, so it costs the loop less (0: at once).")


class RecordingObserverConfig(ObserverConfigBase):
    type: Literal["recording"] = Field("recording", description="Keep the newest loop events in memory (tests, notebooks).")
    keep: int = Field(1000, ge=1, le=1_000_000, description="How many of the newest events are kept.")
    events: list[EventName] = Field(
        default_factory=lambda: list(LOOP_EVENTS), min_length=1,
        description="The event types to record.",
    )


class PolicyValueObserverConfig(ObserverConfigBase):
    type: Literal["policy_value"] = Field(
        "policy_value", description="The online policy's value and its baselines' (random, each constant action, VW "
        "candidates learned in the background) from the joined events, with confidence bounds; persisted, shown on the "
        "dashboard, in /api/status and /metrics.")
    estimators: list[Literal["ips", "snips", "clipped_ips"]] = Field(
        default=["ips", "snips"], min_length=1, max_length=3,
        description="Point estimates kept per candidate (the first is the one charted and compared).")
    interval: Literal["cs", "gaussian", "cressie_read", "clopper_pearson"] = Field(
        "cs", description="The interval around each candidate's value: cs (an off-policy confidence sequence, valid "
        "however often it is looked at), gaussian, cressie_read (empirical likelihood), clopper_pearson (rewards in 0..1).")
    alpha: float = Field(0.05, gt=0.0, lt=0.5, description="1 - confidence of the intervals (0.05: 95%).")
    reward_range: tuple[float, float] | None = Field(
        None, description="The rewards' [min, max] when known (tighter bounds); null: taken from the rewards seen.")
    constant_actions: bool = Field(True, description="Keep a baseline per declared action: always choosing it.")
    candidates: list[str] = Field(
        default_factory=list, max_length=8,
        description='VW configurations learned in the background from the same events and valued counterfactually, '
        'e.g. "--cb_explore_adf --epsilon 0.05 -q ::" (one of --cb_explore_adf or --cb_adf; no file options).')
    max_events_per_s: float = Field(
        1000.0, ge=1.0, le=1_000_000.0,
        description="Events valued a second at most (bounds its CPU: about 30-40 µs an event with 50 actions, valued in batches). Above it, a "
        "uniform random sample is valued, each event weighted by the chance it was kept (as DSJSON's pdrop): the "
        "estimates stay unbiased and the bounds valid, only wider.")
    save_every_s: float = Field(30.0, ge=1.0, le=86_400.0,
                                description="How often the estimates (and the candidates' models) are saved to DATA_DIR/observers/<name>.")
    chart_every_s: float = Field(5.0, ge=0.5, le=3600.0, description="How often a point is added to the dashboard's value chart, "
                                 "and the values' estimates and intervals are made again (reads in between show the last).")

    @field_validator("candidates")
    @classmethod
    def _vw_candidates(cls, candidates: list[str]) -> list[str]:
        from appliance.errors import UsageError
        from appliance.evaluation.candidates import checked_arguments

        for arguments in candidates:
            try:
                checked_arguments(arguments)
            except UsageError as err:
                raise ValueError(str(err)) from None
        if len(set(candidates)) != len(candidates):
            raise ValueError("a candidate is listed twice")
        return candidates

    @model_validator(mode="after")
    def _range_ordered(self) -> "PolicyValueObserverConfig":
        if self.reward_range is not None and not self.reward_range[0] < self.reward_range[1]:
            raise ValueError(f"reward_range {list(self.reward_range)}: the minimum must be below the maximum")
        return self


ObserverConfig = Annotated[ObserverConfigBase, KindOf("observers")]
"""One observer; the ``type`` key picks the kind (built in, or added by a plug-in)."""
