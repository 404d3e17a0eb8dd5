"""``wabbit fleet --dir DIR --config APPLIANCE.yaml``: the central side of a fleet (collector, join, trainer)."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path

HELP = "Run a fleet's central side: collect the appliances' decisions and rewards, join them, learn, publish models."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", type=Path, required=True, help="Where inbox/, state/, joined/ and models/ live.")
    parser.add_argument("--config", type=Path, help="The appliances' config: its policy and join sections are the "
                        "trainer's and the join's (default: the defaults).")
    parser.add_argument("--engine", choices=("sqlite", "spark"), default="sqlite",
                        help="The join: sqlite (one process) or spark (Structured Streaming; pip install '.[fleet]' and a JDK).")
    parser.add_argument("--host", default="127.0.0.1", help="The collector's address (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8090, help="The collector's port (default 8090).")
    parser.add_argument("--grace-s", type=float, default=5.0, help="How late a record may arrive (default 5 s).")
    parser.add_argument("--idle-timeout-s", type=float, default=600.0, help="SQLite join: how long an appliance may ship "
                        "nothing before its decisions stop waiting for its log and close by the clock (default 600 s).")
    parser.add_argument("--publish-every-s", type=float, default=5.0, help="Least seconds between two models (default 5).")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from appliance.cli import flag_error
    from appliance.config import load_config
    from appliance.fleet.central import Central, FleetSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = FleetSettings(directory=args.dir, engine=args.engine, host=args.host, port=args.port, grace_s=args.grace_s,
                                 idle_timeout_s=args.idle_timeout_s, publish_every_s=args.publish_every_s)
    except ValidationError as err:  # an option out of its range: name it as typed
        raise flag_error(err) from None
    central = Central(settings, load_config(args.config))
    signal.signal(signal.SIGTERM, lambda *_: central.stop.set())
    host = f"[{args.host}]" if ":" in args.host else args.host  # an IPv6 address, as a URL writes it
    print(f"wabbit fleet: collecting on http://{host}:{central.collector.port}/ingest, models at /model "
          f"({args.engine} join, {args.dir})", flush=True)
    try:
        central.run()
    except KeyboardInterrupt:
        central.stop.set()
    return 0
