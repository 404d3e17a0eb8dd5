"""Rebuild a model from DSJSON logs, through the same example builder the live loop uses."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from appliance.config import AppConfig
from appliance.errors import UsageError
from appliance.storage import dsjson

log = logging.getLogger(__name__)


def _progress(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done // max(total, 1):3d}%")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def replay(config: AppConfig, logs: list[Path], output: Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Learn every event of ``logs`` in order, with the policy ``config`` gives; returns counts, and writes the
    model to ``output``. Pass the config of the daemon that wrote the log: its actions, options and, with
    ``sources:``, its featurizers' namespaces make the model's interactions."""
    from appliance.assemble import policy_config
    from appliance.policy.vw import VWPolicy
    from appliance.sensing import context_namespaces
    from appliance.worlds import build_world

    world = build_world(config.simulation)
    pconfig = policy_config(config, world)
    declared = {a.id: a.vw_features() for a in pconfig.actions}
    # the interactions the live model had: with sources, its featurizers' namespaces (an early event may lack
    # one whose source had no frame yet); without, the namespaces the log carries
    namespaces: list[str] = sorted(context_namespaces(config)) if config.sources else []
    policy: VWPolicy | None = None
    learned = malformed = 0
    total = sum(os.path.getsize(p) for p in logs)
    done = 0
    for path in logs:
        with open(path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                done += len(raw)
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    event, features = dsjson.decode(line)
                except ValueError as err:
                    malformed += 1
                    print(f"{path}:{number}: {err}; line skipped", file=sys.stderr)
                    continue
                if policy is None:
                    namespaces = namespaces or sorted(event.decision.context)
                    policy = VWPolicy(pconfig, namespaces)
                same = all(declared.get(a) == f for a, f in zip(event.decision.actions, features))
                policy.learn(event, None if same else features)
                learned += 1
                if progress and number % 1000 == 0:
                    _progress(done, total)
    if progress:
        _progress(total, total)
    if policy is None:
        raise UsageError(f"no events in {', '.join(map(str, logs))}: nothing to learn")
    if output is not None:
        policy.save(output)
    return {"learned": learned, "malformed": malformed, "model_version": policy.model_version,
            "namespaces": namespaces, "output": str(output) if output else None}
