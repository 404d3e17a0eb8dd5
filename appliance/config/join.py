"""The ``join:`` section: how decisions wait for their rewards and how rewards are combined."""

from typing import Literal

from pydantic import Field

from appliance.config.base import StrictModel

Aggregation = Literal["earliest", "sum", "max", "mean"]
LatePolicy = Literal["drop", "log", "learn"]


class JoinConfig(StrictModel):
    reward_wait_s: float = Field(
        10.0, gt=0.0, le=7 * 86400.0,
        description="How long a decision waits for rewards before it is learned (Personalizer's rewardWaitTime).",
    )
    aggregation: Aggregation = Field(
        "earliest", description="How several rewards for one decision combine: the earliest by its timestamp, their sum, max or mean.",
    )
    default_reward: float = Field(
        0.0, ge=-1e6, le=1e6, description="The reward learned when none arrived before the wait ended.",
    )
    late_reward: LatePolicy = Field(
        "log",
        description="A reward after the wait: `drop` counts it, `log` also writes it to late.jsonl, "
        "`learn` learns the decision again as a new example with that reward.",
    )
    late_horizon_s: float = Field(
        3600.0, ge=0.0, le=30 * 86400.0,
        description="How long after a decision closed a reward for it is recognised as late (older ones are unknown).",
    )
    late_memory: int = Field(
        10_000, ge=0, le=1_000_000, description="How many closed decisions are remembered to recognise late rewards.",
    )
    max_pending: int = Field(
        2_000, ge=1, le=1_000_000,
        description="Most decisions waiting at once; on overflow the oldest close early (counted as `overflow`). "
        "Each holds its parsed VW example, about 33 KB: 2000 pending is about 66 MB.",
    )
