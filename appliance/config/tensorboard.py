"""The ``tensorboard`` observer's config: where its runs go and how often it writes (an SD card sees few writes).

>>> from pydantic import TypeAdapter
>>> from appliance.config.observers import ObserverConfig
>>> config = TypeAdapter(ObserverConfig).validate_python({"type": "tensorboard", "every_s": 30})
>>> type(config).__name__, config.every_events, config.every_s, config.format
('TensorBoardObserverConfig', 1000, 30.0, 'auto')
"""

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from appliance.config.observers import ObserverConfigBase


class TensorBoardObserverConfig(ObserverConfigBase):
    example: ClassVar[dict[str, Any]] = {}

    type: Literal["tensorboard"] = Field(
        "tensorboard", description="TensorBoard logs of the loop: reward, the policy's value with its confidence bounds, the "
        "random and constant-action baselines, exploration, action shares, features, latency, a histogram of the weights, and "
        "the hyperparameters with the final metrics. `tensorboard --logdir` shows them.")
    logdir: Path | None = Field(None, description="Where the runs go, one folder per run; empty: DATA_DIR/observers/<name>.")
    run: str = Field("", max_length=128, pattern=r"^$|^[A-Za-z0-9][A-Za-z0-9._=,+-]*$",
                     description="The run's folder name; empty: the start time (each start of the daemon is a run).")
    every_events: int = Field(1000, ge=1, le=100_000_000, description="Write once this many events joined since the last write.")
    every_s: float = Field(60.0, ge=0.1, le=86_400.0,
                           description="Or write once this many seconds passed since the last write (if any event joined).")
    min_interval_s: float = Field(1.0, ge=0.0, le=86_400.0,
                                  description="Never write more often than this: at most one write a second by default.")
    histogram_every: int = Field(10_000, ge=0, le=100_000_000,
                                 description="A histogram of the model's weights every this many joined events (0: never).")
    window: int = Field(1000, ge=1, le=1_000_000, description="How many of the newest joined events `reward/recent` averages.")
    alpha: float = Field(0.05, gt=0.0, lt=1.0, description="1 - confidence of the bounds (0.05: 95%).")
    latency: bool = Field(False, description="Also time each decision until it is durable and observers hear of it (what an "
                          "actuator waits): one more bus delivery per decision, about a tenth of a loop's speed at full tilt.")
    format: Literal["auto", "tensorboard", "jsonl"] = Field(
        "auto", description="tensorboard: event files (needs tensorboardX, the `tensorboard` extra); jsonl: JSON lines; "
        "auto: event files when tensorboardX is installed, else JSON lines.")
