"""``wabbit run``: start the appliance (simulated devices when no config is given).

An invalid config starts the daemon in safe mode (dashboard and error served, nothing driven) instead
of failing: on a Pi far away, the dashboard is how you find out and fix it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.clock import RESTARTED_AT

if TYPE_CHECKING:
    from appliance.config import AppConfig

HELP = "Run the appliance daemon: capture, decide, act, join feedback, learn; API and dashboard on --host:--port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="YAML config (default: DATA_DIR/config.yaml if it exists, else "
                                                    "none, i.e. simulated devices).")
    parser.add_argument("--host", help="Address to bind (default: the config's, else 127.0.0.1).")
    parser.add_argument("--port", type=int, help="Port (default: the config's, else 8080).")
    parser.add_argument("--data-dir", type=Path, help="Data directory (default: ~/.local/share/wabbit).")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="Log level.")


def run(args: argparse.Namespace) -> int:
    # journal-friendly: no timestamps (journald adds them), one line per record, level first
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from appliance.assemble import default_data_dir
    from appliance.config import ServerConfig
    from appliance.daemon import Daemon

    path: Path | None = args.config
    config, error = _load(path)
    data_dir = args.data_dir or config.storage.data_dir or default_data_dir()
    if path is None and (data_dir / "config.yaml").exists():
        path = data_dir / "config.yaml"  # written by PUT /api/config
        config, error = _load(path)
    server = config.server if error is None else ServerConfig()
    daemon = Daemon(config, data_dir, args.host or server.host, args.port or server.port, config_path=path, error=error)
    code = daemon.run()
    if daemon.restart_requested:  # POST /api/restart: the same command again, in this process (same PID for systemd)
        print("wabbit run: restarting with the config as written", file=sys.stderr, flush=True)
        os.environ[RESTARTED_AT] = repr(time.time())  # the new start-up's "ready in" counts from here
        os.execv(sys.executable, [sys.executable, "-m", "appliance", *_argv(args)])
    return code


def _argv(args: argparse.Namespace) -> list[str]:
    """The ``wabbit run`` arguments ``args`` came from.

    >>> _argv(argparse.Namespace(config=Path("c.yaml"), host=None, port=8080, data_dir=None, log_level="INFO"))
    ['run', '--config', 'c.yaml', '--port', '8080', '--log-level', 'INFO']
    """
    pairs = [("--config", args.config), ("--host", args.host), ("--port", args.port), ("--data-dir", args.data_dir),
             ("--log-level", args.log_level)]
    return ["run", *[part for flag, value in pairs if value is not None for part in (flag, str(value))]]


def _load(path: Path | None) -> tuple["AppConfig", str | None]:
    """The config, or the defaults and the error (line-numbered) that sends the daemon into safe mode."""
    from appliance.config import AppConfig, load_config
    from appliance.errors import ConfigError

    try:
        return load_config(path), None
    except ConfigError as err:
        print(f"wabbit run: invalid config, starting in safe mode:\n{err}", file=sys.stderr, flush=True)
        return AppConfig(), str(err)
