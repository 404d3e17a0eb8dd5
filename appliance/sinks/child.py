"""The child process of a log sink's shipper (see :mod:`appliance.sinks.process`): ``python -m
appliance.sinks.child SPEC``, started by the daemon's :class:`~appliance.sinks.process.ShipperProcess`.

It steps its :class:`~appliance.sinks.shipper.Shipper` every ``interval_s`` up to the synced end the daemon
published, publishes its saved cursor and stats after each step, drains when asked, and ends when its stdin ends
(the daemon stopped it, or died) or its parent is no longer the daemon that started it. SIGINT and SIGTERM are
the daemon's to act on (a Ctrl-C or a service stop reaches the whole process group): the daemon drains, then
stops it.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from appliance.config.log_sinks import LogSinkConfig
from appliance.registry import REGISTRY
from appliance.sinks.process import BUILT, DRAIN_ASKED, DRAIN_MS, DRAINED, SAVED, SYNCED, Channel, packed, unpacked
from appliance.sinks.shipper import COUNTERS, Shipper
from appliance.storage.log_segments import LogSegments

log = logging.getLogger(__name__)


def main(argv: list[str]) -> int:
    spec: dict[str, Any] = json.loads(argv[0])
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=spec["log_level"], format=f"%(levelname)s %(name)s [sink {spec['name']}]: %(message)s", stream=sys.stderr)
    channel = Channel(spec["fd"])
    segments = LogSegments(Path(spec["directory"]), spec["log_name"], spec["suffix"], unpacked(channel.get(SYNCED)))
    try:
        config = TypeAdapter(LogSinkConfig).validate_python(spec["config"])
        shipper = Shipper(REGISTRY.build("log_sinks", config, name=spec["name"]), segments, config, Path(spec["cursor"]))
    except Exception as err:  # the daemon logs it, and starts it again after a pause
        log.error("log sink %s cannot start: %s", spec["name"], err)  # the daemon refuses the config with this reason
        channel.write_stats({"name": spec["name"], **spec["carried"], "last_error": f"cannot start: {err}"})
        return 2
    for key in COUNTERS:  # the daemon's last stats, or the cursor file's if a child ended after saving it, before its stats
        setattr(shipper, key, max(spec["carried"][key], getattr(shipper, key)))
    channel.set(BUILT, 1)  # the daemon's start() waits for this (or the exit above)
    try:
        ship(shipper, segments, channel, spec["interval_s"], spec["parent"])
    except Exception as err:
        log.exception("log sink %s failed", spec["name"])
        channel.write_stats({**shipper.stats(), "last_error": f"{type(err).__name__}: {err}"})
        return 1
    finally:
        shipper.close()
    return 0


def ship(shipper: Shipper, segments: LogSegments, channel: Channel, interval_s: float, parent: int) -> None:
    """Step (or drain, when asked) every ``interval_s`` until stdin ends or the parent is gone."""
    drained = channel.get(DRAINED)
    while os.getppid() == parent:
        asked = channel.get(DRAIN_ASKED)  # first: a drain asked ships at least what was synced before it
        segments.synced = unpacked(channel.get(SYNCED))
        if asked > drained:
            shipper.drain(channel.get(DRAIN_MS) / 1000)
        else:
            shipper.step()
        channel.set(SAVED, packed(shipper.saved))
        channel.write_stats(shipper.stats())
        if asked > drained:
            channel.set(DRAINED, drained := asked)
        woken, _, _ = select.select([0], [], [], interval_s)
        if woken and not os.read(0, 64):
            return  # stopped (or the daemon died)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
