"""Rebuild a model from DSJSON logs, through the same example builder the live loop uses."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from appliance.config import AppConfig
from appliance.errors import UsageError
from appliance.storage import dsjson

log = logging.getLogger(__name__)


def progress_bar(done: int, total: int) -> None:
    """A progress bar on stderr (for a terminal), done at ``done == total``."""
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done // max(total, 1):3d}%")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def check_logs(logs: list[Path]) -> None:
    """Refuse, naming it, a log path that is not a file: missing, or a folder (the appliance's ``events/``)."""
    for path in logs:
        if path.is_dir():
            raise UsageError(f"{path}: is a directory; give its log files, e.g. {path}/*.dsjson")
        if not path.is_file():
            raise UsageError(f"{path}: no such log file")


def replay(config: AppConfig, logs: list[Path], output: Path | None = None, progress: bool = False,
           tensorboard: Path | None = None) -> dict[str, Any]:
    """Learn every event of ``logs`` in order, with the policy ``config`` gives; returns counts, and writes the
    model to ``output``. Pass the config of the daemon that wrote the log: its policy's kind, actions and options.
    ``tensorboard``: also write a TensorBoard run of the replay in that folder."""
    from appliance.assemble import build_policy

    if output is not None and output.is_dir():
        raise UsageError(f"{output}: is a directory; give -o the model file to write, e.g. {output / 'replayed.vw'}")
    pconfig = config.effective_policy()
    declared = pconfig.action_features()
    policy = build_policy(pconfig)
    observer = None
    if tensorboard is not None:
        from appliance.events import EventJoined
        from appliance.watch.runs import cli_observer

        observer = cli_observer(tensorboard, f"replay-{logs[0].stem}", None, policy, {"command": "replay"})
    namespaces: dict[str, None] = {}
    learned = malformed = skipped = 0

    def report(path: Path, number: int, why: str) -> None:
        nonlocal malformed
        malformed += 1
        print(f"{path}:{number}: {why}; line skipped", file=sys.stderr)

    try:
        for logged in dsjson.read(logs, report, progress_bar if progress else None):
            if logged.skip_learn:  # as VW's DSJSON reader does
                skipped += 1
                continue
            event, features = logged.event, logged.features
            namespaces.update(dict.fromkeys(event.decision.context))
            same = all(declared.get(a) == f for a, f in zip(event.decision.actions, features))
            policy.learn(event, None if same else features)
            learned += 1
            if observer is not None:
                observer.handle(EventJoined(event))
    finally:
        if observer is not None:
            observer.close()
    if not learned:
        raise UsageError(f"no events in {', '.join(map(str, logs))}: nothing to learn")
    if output is not None:
        try:
            policy.save(output)
        except (OSError, RuntimeError) as err:  # VW says it in a RuntimeError ("can't open: ...")
            raise UsageError(f"{output}: cannot write the model ({err}); give -o a file in a directory you can write in") from None
    return {"learned": learned, "malformed": malformed, "skipped_learn": skipped, "model_version": policy.model_version,
            "namespaces": sorted(namespaces), "output": str(output) if output else None,
            **({"tensorboard": str(observer.directory)} if observer is not None else {})}
