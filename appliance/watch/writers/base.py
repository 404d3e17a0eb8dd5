"""Where a watched run's numbers go: TensorBoard event files (tensorboardX), or JSON lines when it is missing.

Both writers buffer in memory and reach the disk only on the observer's schedule (every N events, at most once a
second, or every T seconds), so an SD card sees few writes: JSON lines when told to :meth:`RunWriter.flush`, event
files within a second of a write (tensorboardX flushes them on a thread of its own).

The writer for a run comes from :func:`appliance.watch.writers.open_writer`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Mapping, Protocol

import numpy as np

HParam = bool | str | float | int
Format = Literal["auto", "tensorboard", "jsonl"]

LAYOUT: dict[str, dict[str, list[object]]] = {
    "Reward": {
        "the policy's value, with its confidence sequence": ["Margin", ["value/online", "value/online_lower", "value/online_upper"]],
        "reward against the baselines": ["Multiline", ["reward/progressive", "reward/recent", "value/greedy", "baseline/random",
                                                       "baseline/best_constant"]],
    },
    "Exploration": {
        "the pmf": ["Multiline", ["explore/max_probability", "explore/entropy", "explore/exploratory_share"]],
        "action shares": ["Multiline", [r"actions/.*"]],
    },
}
"""TensorBoard's Custom Scalars layout: the value with its bounds as a band, the baselines on one chart."""


class RunWriter(Protocol):
    """One run's folder."""

    directory: Path

    def scalars(self, step: int, values: Mapping[str, float]) -> None:
        """Scalars at ``step`` (NaN values are left out)."""
        ...

    def histogram(self, step: int, tag: str, values: np.ndarray) -> None:
        ...

    def hparams(self, step: int, hparams: Mapping[str, HParam], metrics: Mapping[str, float]) -> None:
        """The run's hyperparameters and final metrics (TensorBoard's HParams view compares runs by them)."""
        ...

    def flush(self) -> None:
        """Write what is buffered (event files: tensorboardX's thread does, within a second)."""
        ...

    def close(self) -> None:
        ...


def fresh_run(root: Path, name: str) -> str:
    """``name``, or ``name-2``, ``name-3``... when a run of that name holds files already (a run is one folder).

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()); (root / "sim").mkdir(); _ = (root / "sim" / "scalars.jsonl").write_text("{}")
    >>> fresh_run(root, "sim"), fresh_run(root, "other")
    ('sim-2', 'other')
    """
    candidate, n = name, 1
    while (root / candidate).is_dir() and any((root / candidate).iterdir()):
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def have_tensorboardx() -> bool:
    """Whether tensorboardX imports (it is imported once a run writes, never before)."""
    try:
        import tensorboardX  # noqa: F401
    except ImportError:
        return False
    return True

