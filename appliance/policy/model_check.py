"""Check an uploaded model in a child process: a file VW cannot read must not take the daemon down, and one cut
short must not be swapped in.

Vowpal Wabbit reads a model cut at a weight's boundary without complaint (the missing weights are zero), so
wholeness is proven twice: the upload names its SHA-256 (``X-Model-SHA256``, as ``GET /api/model`` sends it)
and the bytes must match (nothing was lost on the way); and for a ``vw`` policy, what VW read from the file,
saved again, must be the file's size (nothing was missing on disk before its digest was taken:
:func:`appliance.introspect.layout.open_model`). Then ``python -m appliance.policy.model_check MODEL`` with
``{"policy": ...}`` on stdin builds the daemon's policy (any kind, through the registry), loads the model,
decides on probe contexts over the declared actions (every pmf a probability distribution), saves it, loads
that copy into a second policy and checks it decides the same: exit 0 and ``ok`` on success. A child that fails
says why on one last line of stderr, ``error: REASON`` (:func:`refuse`), which the refusal quotes: the child is started
through :data:`BOOT`, which says so also for an exception raised while its module is imported.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from appliance.errors import UsageError, WabbitError

MIN_BYTES = 16
ERROR_PREFIX = "error: "
REASON_CHARS = 400
DIGEST_HEADER = "X-Model-SHA256"
PROBES: tuple[dict[str, dict[str, float]], ...] = ({}, {"probe": {"x": 1.0}}, {"probe": {"x": -1.0, "y": 0.5}})
BOOT = """import sys
module = sys.argv.pop(1)
try:
    import runpy
    runpy.run_module(module, run_name="__main__", alter_sys=True)
except Exception as err:
    from appliance.policy.model_check import describe, refuse
    sys.exit(refuse(describe(err)))
"""
"""How a check child starts (``python -c BOOT MODULE ARGS...``): it runs ``MODULE`` as ``python -m`` would, and whatever
exception it raises, from its first import on, becomes its ``error: REASON`` line."""


def check_digest(actual: str, declared: str | None, size: int) -> None:
    """Nothing if the upload's SHA-256 is the one it declared; else a :class:`UsageError` saying what to send.

    >>> check_digest("ab12", "AB12", 10)
    >>> check_digest("ab12", "cd34", 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: the model's SHA-256 is ab12, not 'cd34' as X-Model-SHA256 says: the file changed ...
    """
    if declared is None:
        raise UsageError(f"send the model's SHA-256 in the {DIGEST_HEADER} header (GET /api/model sends it; or "
                         "`sha256sum MODEL`), so that a file cut short on its way is refused instead of swapped in")
    if declared.strip().lower() != actual:
        raise UsageError(f"the model's SHA-256 is {actual}, not {declared.strip()[:80]!r} as {DIGEST_HEADER} says: the file "
                         f"changed or was cut short on its way ({size} bytes arrived); upload it again")


def check_model_file(path: Path, policy: dict[str, Any], timeout_s: float = 60.0) -> None:
    """Raise :class:`UsageError` saying what is wrong unless the model loads, decides and survives a round trip."""
    kind = policy.get("type") or "vw"
    refusal = ("Vowpal Wabbit cannot use this model with the configured policy ({reason}); upload a model saved by this "
               "appliance (GET /api/model) or by `vw --cb_explore_adf` with the same options") if kind == "vw" else (
               f"the {kind} policy cannot use this model ({{reason}}); upload a model this appliance saved with the same "
               "policy section (GET /api/model)")
    check_in_child("appliance.policy.model_check", path, {"policy": policy}, timeout_s, refusal, vw=kind == "vw")


def check_in_child(module: str, path: Path, spec: dict[str, Any], timeout_s: float, refusal: str, vw: bool = True) -> str:
    """Run ``python -m module PATH`` with ``spec`` (JSON) on stdin; :class:`UsageError` (``refusal`` with the child's
    ``{reason}``) unless it ends with ``ok``; what it printed before. A file that cannot be a model is refused without a
    child: an empty one, or for Vowpal Wabbit (``vw``) one under ``MIN_BYTES`` (another kind's model may be that small)."""
    size = path.stat().st_size
    if vw and size < MIN_BYTES:
        raise UsageError(f"the model is {size} bytes, too small to be a Vowpal Wabbit model; upload the file "
                         "GET /api/model returns (or `vw -f` writes)")
    if size == 0:
        raise UsageError("the model is empty (0 bytes); upload the file GET /api/model returns")
    return run_check([module, str(path)], spec, timeout_s, refusal, "loading the model")


def run_check(argv: list[str], spec: dict[str, Any], timeout_s: float, refusal: str, what: str) -> str:
    """Run ``python -m ARGV...`` (through :data:`BOOT`) with ``spec`` (JSON) on stdin; :class:`UsageError` (``refusal``
    with the child's ``{reason}``: its ``error: ...`` line, or the signal that killed it) unless its last line on stdout
    is ``ok``, in time; what it printed before that line (what it found out, for the caller). A child that exits
    without either could not run the check at all: the UsageError says so, with its exit code and last line."""
    try:
        done = subprocess.run([sys.executable, "-c", BOOT, *argv], input=json.dumps(spec), capture_output=True, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{what} took over {timeout_s:g} s; it is not something this appliance can serve") from None
    report, _, last = done.stdout.strip().rpartition("\n")
    if done.returncode == 0 and last == "ok":
        return report
    if done.returncode < 0:
        raise UsageError(refusal.replace("{reason}", f"it crashed: {signal.Signals(-done.returncode).name}"))
    if (reason := child_reason(done.stderr)) is not None:
        raise UsageError(refusal.replace("{reason}", reason))
    said = one_line(done.stderr.strip().rpartition("\n")[2]) or "nothing on stderr"
    raise UsageError(f"the check ({what}) could not run: its child process (python -m {argv[0]}) exited with code "
                     f"{done.returncode} without saying why (its last line on stderr: {said}); the appliance's Python "
                     "environment may be broken: that module must import and run with the daemon's Python")


def one_line(message: str) -> str:
    """A child's failure ``message`` on one line of at most ``REASON_CHARS``, without pydantic's pointers to its docs.

    >>> one_line("1 validation error for PolicyConfig\\nbits\\n  Input should be a valid integer\\n"
    ...          "    For further information visit https://errors.pydantic.dev/2/v/int_parsing")
    '1 validation error for PolicyConfig bits Input should be a valid integer'
    >>> len(one_line("x" * 1000))
    400
    """
    words = [line.strip() for line in message.splitlines() if not line.strip().startswith("For further information visit")]
    text = " ".join(" ".join(words).split())
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 3] + "..."


def refuse(reason: str) -> int:
    """Write ``reason`` as a check child's ``error: ...`` line, which :func:`run_check` quotes; exit code 1."""
    print(ERROR_PREFIX + one_line(reason), file=sys.stderr)
    return 1


def describe(err: Exception) -> str:
    """What a check child hit: a pydantic ValidationError's problems (``where: what``, without the validator's long
    name), a :class:`WabbitError`'s message (written for the user: a ``CheckpointError`` too), else the exception's type
    and message.

    >>> from pydantic import BaseModel, ValidationError
    >>> class Spec(BaseModel):
    ...     bits: int
    >>> try:
    ...     Spec.model_validate({"bits": "many"})
    ... except ValidationError as err:
    ...     print(describe(err))
    ValidationError: bits: Input should be a valid integer, unable to parse string as an integer (got 'many')
    >>> from appliance.errors import CheckpointError
    >>> describe(KeyError("policy")), describe(CheckpointError("not a uniform model"))
    ("KeyError: 'policy'", 'not a uniform model')
    """
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        problems = [f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']} (got {problem['input']!r})"
                    for problem in err.errors()]
        return "ValidationError: " + "; ".join(problems)
    return str(err) if isinstance(err, WabbitError) else f"{type(err).__name__}: {err}"


def child_reason(stderr: str) -> str | None:
    """Why a check child failed: its last ``error: ...`` line on ``stderr``; None when it wrote none.

    >>> child_reason("vw warning\\nerror: its pmf is empty\\n"), child_reason("Segmentation fault")
    ('its pmf is empty', None)
    """
    for line in reversed(stderr.strip().splitlines()):
        if line.startswith(ERROR_PREFIX):
            return one_line(line.removeprefix(ERROR_PREFIX))
    return None


def main(path: str) -> int:
    from pydantic import TypeAdapter

    from appliance.assemble import build_policy
    from appliance.config.policy import PolicyConfig
    from appliance.config.vw_policy import VWPolicyConfig
    from appliance.introspect.layout import open_model

    config = TypeAdapter(PolicyConfig).validate_python(json.loads(sys.stdin.read())["policy"])
    if isinstance(config, VWPolicyConfig):
        try:
            open_model(path).finish()  # a VW model cut short on disk: what VW reads from it is saved at another size
        except UsageError as err:
            return refuse(str(err))
    policy = build_policy(config)
    policy.load(Path(path), 0)
    pmfs = [policy.decide(dict(context), f"probe-{i}", 0.0).pmf for i, context in enumerate(PROBES)]
    for pmf in pmfs:
        if len(pmf) != len(policy.actions) or abs(sum(pmf) - 1.0) > 1e-3 or not all(0.0 <= p <= 1.0 for p in pmf):
            return refuse(f"its pmf {pmf} over the {len(policy.actions)} declared actions is not a probability distribution")
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "copy.vw"
        policy.save(copy)
        again = build_policy(config)
        again.load(copy, 0)
        if [again.decide(dict(context), f"again-{i}", 0.0).pmf for i, context in enumerate(PROBES)] != pmfs:
            return refuse("it does not decide the same once saved and loaded again")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
