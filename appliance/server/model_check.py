"""Check an uploaded model in a child process: a file VW cannot read must not take the daemon down.

``python -m appliance.server.model_check MODEL`` with ``{"policy": ...}`` on stdin builds the daemon's policy
(any kind, through the registry), loads the model and makes one decision; exit 0 and ``ok`` on success.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from appliance.errors import UsageError

MIN_BYTES = 16


def check_model_file(path: Path, policy: dict[str, Any], timeout_s: float = 60.0) -> None:
    """Raise :class:`UsageError` saying what is wrong unless the model loads and decides."""
    size = path.stat().st_size
    if size < MIN_BYTES:
        raise UsageError(f"the model is {size} bytes, too small to be a Vowpal Wabbit model; upload the file "
                         "GET /api/model returns (or `vw -f` writes)")
    spec = json.dumps({"policy": policy})
    try:
        done = subprocess.run([sys.executable, "-m", "appliance.server.model_check", str(path)], input=spec,
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise UsageError(f"loading the model took over {timeout_s:g} s; it is not a model this appliance can use") from None
    if done.returncode != 0 or done.stdout.strip() != "ok":
        reason = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise UsageError(f"Vowpal Wabbit cannot use this model with the configured policy ({reason}); upload a model "
                         "saved by this appliance (GET /api/model) or by `vw --cb_explore_adf` with the same options")


def main(path: str) -> int:
    from pydantic import TypeAdapter

    from appliance.assemble import build_policy
    from appliance.config.policy import PolicyConfig

    spec = json.loads(sys.stdin.read())
    policy = build_policy(TypeAdapter(PolicyConfig).validate_python(spec["policy"]))
    policy.load(Path(path), 0)
    decision = policy.decide({}, "model-check", 0.0)
    if not (abs(sum(decision.pmf) - 1.0) < 1e-3 and all(0.0 <= p <= 1.0 for p in decision.pmf)):
        print(f"the model's pmf {decision.pmf} is not a probability distribution", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
