"""Check what a user gives a ``vw`` model in a child process, since Vowpal Wabbit crashes on some inputs (a file it
cannot read, arguments such as ``--lrq | x``) and must not take the daemon down with it:

- ``python -m appliance.models.vw_check MODEL`` with ``{"prediction_type": N, "label_type": N}`` on stdin loads the
  file (refused if what VW read from it, saved again, is not its size: it was cut short on disk), checks it
  predicts and reads labels as the model it replaces does (its clients would break otherwise), and that a save
  and load gives back the same weights; then prints the counters VW kept in the file (``{"examples": N,
  "features": N}``), so that the daemon reads the file once, to serve it;
- ``python -m appliance.models.vw_check --arguments`` with ``{"arguments": [...]}`` on stdin makes a workspace from
  the arguments, saves it, loads the copy and finishes both.

Either prints ``ok`` last and exits 0 when all is well, or says why not in an ``error: ...`` line on stderr."""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

# VW's summary of a finished workspace: its line -> the counter
_SUMMARY = {"number of examples": "examples", "total feature number": "features"}


class FileCounters(NamedTuple):
    """What VW counted into a model file, kept there with its weights (0 in a file saved without them)."""

    examples: int
    """Examples learned (VW's ``number of examples``)."""
    features: int
    """Features in them (VW's ``total feature number``: each example's, interaction terms included)."""


def check_vw_file(path: Path, current: Any, timeout_s: float = 60.0) -> FileCounters:
    """The counters in the model file at ``path``; UsageError unless it is a model the ``vw`` model whose workspace is
    ``current`` can serve instead."""
    from appliance.policy.model_check import check_in_child

    spec = {"prediction_type": int(current.get_prediction_type()), "label_type": int(current.get_label_type())}
    report = check_in_child("appliance.models.vw_check", path, spec, timeout_s,
                            "Vowpal Wabbit cannot serve this model in place of the current one ({reason}); upload a model "
                            "this model exported, or create a new model for another kind of prediction")
    return FileCounters(**json.loads(report))


def summary_counters(log: list[str]) -> dict[str, int]:
    """The counters in a finished workspace's log (its summary), by :class:`FileCounters` field; 0 for one missing.

    >>> summary_counters(["finished run", "number of examples = 3", "weighted example sum = 3.000000"])
    {'examples': 3, 'features': 0}
    """
    found = dict.fromkeys(_SUMMARY.values(), 0)
    for line in log:
        name, _, value = line.partition(" = ")
        if name in _SUMMARY:
            found[_SUMMARY[name]] = int(value)
    return found


def check_vw_arguments(arguments: list[str], timeout_s: float = 60.0) -> None:
    """UsageError unless Vowpal Wabbit makes, saves, loads and finishes a workspace from ``arguments`` unharmed."""
    from appliance.policy.model_check import run_check

    run_check(["appliance.models.vw_check", "--arguments"], {"arguments": arguments}, timeout_s,
              f"Vowpal Wabbit cannot serve a model made with {shlex.join(arguments)!r} ({{reason}}); check the options "
              "against `vw --help`", "making the model")


def main_arguments() -> int:
    import vowpalwabbit

    from appliance.policy.model_check import refuse

    arguments = [str(a) for a in json.loads(sys.stdin.read())["arguments"]]
    try:
        workspace = vowpalwabbit.Workspace(arg_list=[*arguments, "--quiet"])
    except RuntimeError as err:
        return refuse(str(err))
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "copy.vw"
        workspace.save(str(copy))
        vowpalwabbit.Workspace(arg_list=["--quiet", "-i", str(copy)]).finish()
    workspace.finish()
    print("ok")
    return 0


def main(path: str) -> int:
    import vowpalwabbit

    from appliance.errors import UsageError
    from appliance.introspect.layout import open_model
    from appliance.policy.model_check import refuse

    wanted = json.loads(sys.stdin.read())
    try:
        # a file cut short on disk (its digest taken after) is saved again at another size
        workspace = open_model(path, counters=True)
    except UsageError as err:
        return refuse(str(err))
    got = {"prediction_type": int(workspace.get_prediction_type()), "label_type": int(workspace.get_label_type())}
    for key, value in got.items():
        if value != wanted[key]:
            names = {"prediction_type": vowpalwabbit.PredictionType, "label_type": vowpalwabbit.LabelType}[key]
            return refuse(f"its {key.replace('_', ' ')} is {names(value).name}, the model's is {names(wanted[key]).name}")
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "copy.vw"
        workspace.save(str(copy))
        again = vowpalwabbit.Workspace(arg_list=["--quiet", "-i", str(copy)])
        if again.json_weights() != workspace.json_weights():
            return refuse("its weights are not the same once saved and loaded again")
    workspace.finish()
    print(json.dumps(summary_counters(workspace.get_log())))
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main_arguments() if sys.argv[1] == "--arguments" else main(sys.argv[1]))
