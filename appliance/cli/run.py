"""``wabbit run``: start the appliance (simulated devices when no config is given)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

HELP = "Run the appliance daemon: capture, decide, act, join feedback, learn; API and dashboard on --host:--port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML config (default: none, i.e. simulated devices).")
    parser.add_argument("--host", help="Address to bind (default: the config's, else 127.0.0.1).")
    parser.add_argument("--port", type=int, help="Port (default: the config's, else 8080).")
    parser.add_argument("--data-dir", type=Path, help="Data directory (default: ~/.local/share/wabbit).")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Log level.")


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s")
    from appliance.assemble import default_data_dir
    from appliance.config import load_config
    from appliance.daemon import Daemon

    config = load_config(args.config)
    host = args.host or config.server.host
    port = args.port or config.server.port
    data_dir = args.data_dir or config.storage.data_dir or default_data_dir()
    return Daemon(config, data_dir, host, port).run()
