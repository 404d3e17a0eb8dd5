"""Check an uploaded model in a child process: a file VW cannot read must not take the daemon down, and one cut
short must not be swapped in.

Vowpal Wabbit reads a model cut at a weight's boundary without complaint (the missing weights are zero), so
wholeness is proven twice: the upload names its SHA-256 (``X-Model-SHA256``, as ``GET /api/model`` sends it)
and the bytes must match (nothing was lost on the way); and for a ``vw`` policy, what VW read from the file,
saved again, must be the file's size (nothing was missing on disk before its digest was taken:
:func:`appliance.introspect.layout.open_model`). Then ``python -m appliance.policy.model_check MODEL`` with
``{"policy": ...}`` on stdin builds the daemon's policy (any kind, through the registry), loads the model,
decides on probe contexts over the declared actions (every pmf a probability distribution), saves it, loads
that copy into a second policy and checks it decides the same: exit 0 and ``ok`` on success.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from appliance.errors import UsageError

MIN_BYTES = 16
DIGEST_HEADER = "X-Model-SHA256"
PROBES: tuple[dict[str, dict[str, float]], ...] = ({}, {"probe": {"x": 1.0}}, {"probe": {"x": -1.0, "y": 0.5}})


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
    """Run ``python -m ARGV...`` with ``spec`` (JSON) on stdin; :class:`UsageError` (``refusal`` with the child's
    ``{reason}``: its last line on stderr, or the signal that killed it) unless its last line on stdout is ``ok``, in
    time; what it printed before that line (what it found out, for the caller)."""
    try:
        done = subprocess.run([sys.executable, "-m", *argv], input=json.dumps(spec), capture_output=True, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise UsageError(f"{what} took over {timeout_s:g} s; it is not something this appliance can serve") from None
    report, _, last = done.stdout.strip().rpartition("\n")
    if done.returncode != 0 or last != "ok":
        if done.returncode < 0:
            reason = f"it crashed: {signal.Signals(-done.returncode).name}"
        else:
            reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise UsageError(refusal.replace("{reason}", reason))
    return report


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
            print(str(err).replace("\n", " "), file=sys.stderr)
            return 1
    policy = build_policy(config)
    policy.load(Path(path), 0)
    pmfs = [policy.decide(dict(context), f"probe-{i}", 0.0).pmf for i, context in enumerate(PROBES)]
    for pmf in pmfs:
        if len(pmf) != len(policy.actions) or abs(sum(pmf) - 1.0) > 1e-3 or not all(0.0 <= p <= 1.0 for p in pmf):
            print(f"its pmf {pmf} over the {len(policy.actions)} declared actions is not a probability distribution", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "copy.vw"
        policy.save(copy)
        again = build_policy(config)
        again.load(copy, 0)
        if [again.decide(dict(context), f"again-{i}", 0.0).pmf for i, context in enumerate(PROBES)] != pmfs:
            print("it does not decide the same once saved and loaded again", file=sys.stderr)
            return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
