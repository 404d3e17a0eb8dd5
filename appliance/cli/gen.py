"""``wabbit gen SPEC -o OUT [--format text|dsjson|flatbuffer]`` / ``gen schema`` / ``gen check SPEC``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

HELP = "Generate sample data for VW from a spec (text, DSJSON or FlatBuffers, with the true values beside it)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    data = sub.add_parser("data", help="Write the examples a spec describes, and OUT.truth.json beside them.")
    data.add_argument("spec", type=Path, help="The spec (YAML or JSON; `wabbit gen schema` lists its keys).")
    data.add_argument("--output", "-o", type=Path, required=True, help="The data file to write.")
    data.add_argument("--format", "-f", choices=("text", "dsjson", "flatbuffer"), default="dsjson", help="The file format.")
    data.add_argument("--examples", "-n", type=int, help="Override the spec's number of examples.")
    data.add_argument("--seed", type=int, help="Override the spec's seed.")
    data.add_argument("--json", action="store_true", help="Print the truth as JSON instead of a summary line.")
    check = sub.add_parser("check", help="Validate a spec without generating anything (exit 2 if invalid).")
    check.add_argument("spec", type=Path, help="The spec to check.")
    sub.add_parser("schema", help="Print the spec's JSON schema.")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from appliance.cli import flag_error
    from appliance.datagen import generate, load_spec, schema_text
    from appliance.errors import UsageError

    if args.action == "schema":
        print(schema_text())
        return 0
    spec = load_spec(args.spec)
    if args.action == "check":
        print(f"{args.spec}: valid")
        return 0
    for flag, field, value in (("--examples", "examples", args.examples), ("--seed", "seed", args.seed)):
        if value is not None:
            try:
                setattr(spec, field, value)
            except ValidationError as err:
                raise flag_error(err, flag) from None
    if args.format == "flatbuffer":
        try:
            import flatbuffers  # noqa: F401
        except ImportError:
            raise UsageError("--format flatbuffer needs the flatbuffers package: pip install -e '.[datagen]'") from None
    truth = generate(spec, args.output, args.format, progress=sys.stderr.isatty() and not args.json)
    if args.json:
        print(json.dumps(truth))
    else:
        value = truth["value"]
        shown = ", ".join(f"{k} {value[k]:.4f}" for k in ("logging", "uniform", "oracle", "greedy") if k in value)
        print(f"wrote {truth['examples']} examples to {args.output} ({shown}); learn with: vw {truth['vw_args']} -d {shlex.quote(str(args.output))}")
    return 0
