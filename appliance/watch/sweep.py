"""``wabbit simulate --sweep GRID``: one simulation per combination of policy settings, each its own TensorBoard run
with its hyperparameters and final metrics, so TensorBoard's HParams view compares them.

A grid maps policy keys (dotted into a section: ``exploration.gamma_scale``) to the values to try, as YAML, inline or
in a file; every combination is checked as a policy config before anything runs:

>>> grid = load_grid("{exploration: [{type: epsilon, epsilon: 0.1}, {type: squarecb}], learning_rate: [0.1, 1.0]}")
>>> [run_name(i, a) for i, a in enumerate(combinations(grid))][:2]
['run00-exploration=epsilon-0.1,learning_rate=0.1', 'run01-exploration=epsilon-0.1,learning_rate=1.0']
>>> policies(AppConfig(), grid)[3].exploration.type, len(policies(AppConfig(), grid))
('squarecb', 4)
>>> policies(AppConfig(), load_grid("learning_rate: [0.5, -1]"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
appliance.errors.UsageError: sweep run01-learning_rate=-1: learning_rate: Input should be greater than 0 ...
"""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, RootModel, TypeAdapter, ValidationError

from appliance.config import AppConfig, PolicyConfig, PolicyConfigBase
from appliance.config.base import load_yaml_file, load_yaml_model
from appliance.errors import UsageError
from appliance.watch.writers.base import HParam

MAX_RUNS = 1000


class Grid(RootModel[dict[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")],
                          Annotated[list[Any], Field(min_length=1, max_length=100)]]]):
    """Policy keys (dotted into a section) and the values to try for each."""


def load_grid(grid: str) -> Grid:
    """A grid from a YAML or JSON file's path, or from YAML text (``{learning_rate: [0.1, 0.5]}``)."""
    path = Path(grid)
    if path.suffix in (".yaml", ".yml", ".json") or path.is_file():
        return load_yaml_file(Grid, path, "wabbit simulate --help")
    return load_yaml_model(Grid, grid, "--sweep", "wabbit simulate --help")


def combinations(grid: Grid) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the last key changing fastest."""
    keys = list(grid.root)
    found = [dict(zip(keys, values)) for values in itertools.product(*grid.root.values())]
    if len(found) > MAX_RUNS:
        raise UsageError(f"the sweep has {len(found)} combinations; at most {MAX_RUNS}: try fewer values")
    return found


def _label(value: Any) -> str:
    if isinstance(value, dict):
        return "-".join(_label(v) for v in value.values())
    if isinstance(value, list):
        return "+".join(_label(v) for v in value)
    return str(value)


def hparams_of(assignment: dict[str, Any]) -> dict[str, HParam]:
    """A combination as hyperparameters: numbers stay numbers (the HParams view plots them), sections become labels.

    >>> hparams_of({"exploration": {"type": "epsilon", "epsilon": 0.1}, "learning_rate": 0.5})
    {'exploration': 'epsilon-0.1', 'learning_rate': 0.5}
    """
    return {key: value if isinstance(value, (bool, int, float, str)) else _label(value) for key, value in assignment.items()}


def run_name(index: int, assignment: dict[str, Any]) -> str:
    """The run's folder: its index and its settings, in characters every file system takes."""
    text = ",".join(f"{key}={_label(value)}" for key, value in assignment.items())
    return f"run{index:02d}-" + re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)[:110]


def _assign(policy: dict[str, Any], key: str, value: Any) -> None:
    *sections, last = key.split(".")
    target = policy
    for section in sections:
        inner = target.get(section)
        if not isinstance(inner, dict):
            raise UsageError(f"sweep key {key!r}: the policy's {section!r} is not a section")
        target = inner
    target[last] = copy.deepcopy(value)


def policies(config: AppConfig, grid: Grid) -> list[PolicyConfigBase]:
    """The policy of every combination (``config``'s, with the combination's settings), each checked."""
    base = config.effective_policy().model_dump(mode="json", by_alias=True)
    adapter: TypeAdapter[PolicyConfigBase] = TypeAdapter(PolicyConfig)
    found = []
    for index, assignment in enumerate(combinations(grid)):
        policy = copy.deepcopy(base)
        for key, value in assignment.items():
            _assign(policy, key, value)
        try:
            found.append(adapter.validate_python(policy))
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"] if part != "vw")
            raise UsageError(f"sweep {run_name(index, assignment)}: {where}: {first['msg']} (got {first.get('input')!r}). "
                             "Change the grid's values (a section's keys must fit its `type`)") from None
    return found
