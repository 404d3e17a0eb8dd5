"""The ``wabbit`` command line: one module per command, listed in :data:`COMMANDS`.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Heavy imports stay inside ``run`` so ``wabbit --help`` and ``wabbit run`` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from typing import TYPE_CHECKING, NoReturn, Protocol, Sequence

from appliance.errors import UsageError, WabbitError

if TYPE_CHECKING:
    from pydantic import ValidationError

COMMANDS: tuple[str, ...] = (
    "run",
    "config",
    "simulate",
    "replay",
    "evaluate",
    "devices",
    "featurize",
    "bench",
    "gen",
    "introspect",
    "kit",
    "model",
    "fleet",
)


class Command(Protocol):
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def flag_error(err: ValidationError, flag: str | None = None) -> UsageError:
    """A flag's value its settings refused, as a usage error naming it as typed: ``flag`` (default: the refused field's
    name as a flag, ``grace_s`` as ``--grace-s``), the value given and the first reason.

    >>> from pydantic import BaseModel, Field, ValidationError
    >>> class Settings(BaseModel):
    ...     grace_s: float = Field(gt=0)
    >>> try:
    ...     Settings(grace_s=0.0)
    ... except ValidationError as err:
    ...     print(flag_error(err))
    --grace-s 0: Input should be greater than 0
    """
    first = err.errors()[0]
    value = first["input"]
    name = flag or "--" + str(first["loc"][0]).replace("_", "-")
    return UsageError(f"{name} {value:g}: {first['msg']}" if isinstance(value, float) else f"{name} {value}: {first['msg']}")


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line message on bad arguments."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="wabbit", description="Raspberry Wabbit: an online RL appliance.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        module: Command = importlib.import_module(f"appliance.cli.{name}")
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args._run(args)
    except WabbitError as err:
        print(f"wabbit {args.command}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader stopped early (`| head`): end as a killed writer would, with no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush has nowhere to fail
        return 128 + signal.SIGPIPE
    return code
