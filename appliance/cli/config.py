"""``wabbit config validate FILE | schema | default``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "Validate a config file, print its JSON schema, or print a commented default config."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    validate = sub.add_parser("validate", help="Check a YAML config without starting anything (exit 2 if invalid).")
    validate.add_argument("file", type=Path, help="The YAML config to check.")
    sub.add_parser("schema", help="Print the JSON schema of the config.")
    sub.add_parser("default", help="Print the default config (simulated devices), every key commented.")


def run(args: argparse.Namespace) -> int:
    from appliance.config import AppConfig, json_schema, load_config
    from appliance.config.commented import render

    if args.action == "validate":
        load_config(args.file)  # raises ConfigError with line numbers
        print(f"{args.file}: valid")
    elif args.action == "schema":
        print(json.dumps(json_schema(), indent=2))
    else:
        config = AppConfig()
        config.policy = config.effective_policy()
        print("# Raspberry Wabbit config. Every section is optional; without a file the daemon runs this.\n")
        print(render(config), end="")
    return 0
