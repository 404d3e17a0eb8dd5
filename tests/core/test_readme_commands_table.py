"""README's table of commands against ``wabbit``'s own parser: a row for every command, and every option a row shows
is one its command takes, so a user who copies a flag from the table is not told it does not exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from appliance.cli import build_parser

README = Path(__file__).parents[2] / "README.md"


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:  # argparse keeps its subcommands there and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def rows() -> list[list[str]]:
    """Each row's command line and its alternatives (`wabbit gen data ...` / `check SPEC` / `schema`)."""
    table = README.read_text().split("| command | what it does |", 1)[1].split("\n\n", 1)[0]
    return [re.findall(r"`([^`]+)`", row.split(" | ")[0]) for row in table.splitlines()[2:]]


def command(words: list[str], parser: argparse.ArgumentParser) -> tuple[list[str], argparse.ArgumentParser]:
    """The subcommand path the words start with, and its parser."""
    path: list[str] = []
    while words and words[0] in subparsers(parser):
        parser = subparsers(parser)[words[0]]
        path.append(words.pop(0))
    return path, parser


def test_every_command_has_a_row_and_every_option_shown_exists() -> None:
    root = build_parser()
    named: set[str] = set()
    for cells in rows():
        path, parser = command(cells[0].split()[1:], root)
        named.add(path[0])
        for cell in cells:
            words = cell.split()
            if words[0] == "wabbit":  # another command line
                path, parser = command(words[1:], root)
            elif words[0] in subparsers(subparsers(root)[path[0]]):  # `schema`: a sibling of the row's command
                sub, parser = command(words, subparsers(root)[path[0]])
                path = [path[0], *sub]
            # else: more options of the command before (`(or `--data-dir DIR`)`)
            options = {s for action in parser._actions for s in action.option_strings}
            shown = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", cell))
            assert shown - options == set(), f"README's `{cell}` shows options `wabbit {' '.join(path)}` does not take"
    assert set(subparsers(root)) - named == set(), "commands without a row in README's table"
