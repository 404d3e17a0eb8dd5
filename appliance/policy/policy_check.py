"""Check that a policy section starts, in a child process, before ``PUT /api/config`` writes it.

A policy is built only when the loop starts, so a section the config's schema accepts may still fail then: VW options
VW itself refuses (``vw_args: ['--l2', 'abc']``), a plug-in's constructor that raises. Written as it came, such a
section would leave the daemon in safe mode at its next restart. ``python -m appliance.policy.policy_check`` with
``{"policy": ...}`` on stdin builds the policy (any kind, through the registry) and decides once with no context, in a
child, so a policy that crashes or needs too much memory cannot take the daemon down: exit 0 and ``ok`` on success,
else ``error: REASON`` (started through :data:`appliance.policy.model_check.BOOT`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from appliance.errors import ConfigError, UsageError
from appliance.policy.model_check import run_check


def check_policy(policy: dict[str, Any], path: Path, timeout_s: float = 60.0, applying: bool = True) -> None:
    """Raise :class:`ConfigError` saying why, unless the ``policy`` section (as JSON) builds and decides; in the words
    of an apply (``applying``: what was not done) or of a check (what to fix)."""
    refusal = (f"{path}: not applied: its policy could not start ({{reason}}). The previous config still runs and the file is "
               "unchanged; fix the policy section and send it again") if applying else \
        f"{path}: its policy could not start ({{reason}}); fix the policy section"
    try:
        run_check(["appliance.policy.policy_check"], {"policy": policy}, timeout_s, refusal, "starting the policy")
    except UsageError as err:
        raise ConfigError(str(err)) from None


def main() -> int:
    from pydantic import TypeAdapter

    from appliance.assemble import build_policy
    from appliance.config.policy import PolicyConfig

    config = TypeAdapter(PolicyConfig).validate_python(json.loads(sys.stdin.read())["policy"])
    build_policy(config).decide({}, "probe", 0.0)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
