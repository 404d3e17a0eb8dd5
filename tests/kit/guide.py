"""kit/README.md as the tests read it: its fenced blocks, what each is (run, form only, a demo's excerpt, an addition
to the config), and the form check of a command that needs a Raspberry Pi."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from appliance.cli import build_parser
from appliance.kit.files import CHECKOUT

GUIDE = CHECKOUT / "kit" / "README.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.M | re.S)
FORM_ONLY = ("# On the Pi", "# On the computer with the SD card")
EXCERPT = re.compile(r"^# demos/([a-z0-9-]+)\.yaml \(excerpt\)$")
ADDITION = "# add to the config"
KEEPS_RUNNING = "# keeps running"
# what the Pi-only blocks may call: the programs this guide introduces, each one explained where it is used
KNOWN = {"xz", "dd", "sudo", "apt", "git", "cd", "./pi-devices", "docker", "python3", ".venv/bin/pip", ".venv/bin/wabbit", "wabbit",
         "rpicam-hello", "hailortcli", "lsusb", "pinctrl", "ls", "groups", "usermod", "cat", "journalctl"}
OPERATORS = {"&&", "||", "|", ";"}


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int

    @property
    def first(self) -> str:
        return self.text.splitlines()[0] if self.text else ""

    @property
    def form_only(self) -> bool:
        return self.lang == "bash" and self.first.startswith(FORM_ONLY)

    def where(self) -> str:
        return f"kit/README.md:{self.line}"


def blocks(text: str | None = None) -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8") if text is None else text
    return [Block(m[1], m[2], text[:m.start()].count("\n") + 1) for m in FENCE.finditer(text)]


def commands(script: str) -> list[list[str]]:
    """The simple commands of a script (assignments and ``sudo [-u USER]`` dropped), as word lists.

    >>> commands("sudo -u wabbit wabbit devices && X=1 ls -l /dev | grep gpio  # a comment")
    [['wabbit', 'devices'], ['ls', '-l', '/dev'], ['grep', 'gpio']]
    """
    out: list[list[str]] = []
    for line in script.splitlines():
        current: list[str] = []
        for word in shlex.split(line, comments=True) + [";"]:
            if word in OPERATORS:
                while current and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", current[0]):
                    current.pop(0)
                if current[:1] == ["sudo"]:
                    current = current[3:] if current[1:2] == ["-u"] else current[1:]
                if current:
                    out.append(current)
                current = []
            else:
                current.append(word)
    return out


def check_form(block: Block) -> None:
    """Shell syntax, known programs, and every ``wabbit`` command's arguments as the real parser reads them."""
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True)
    assert syntax.returncode == 0, f"{block.where()}: {syntax.stderr}"
    for words in commands(block.text):
        assert words[0] in KNOWN, f"{block.where()}: {words[0]!r} is not a program the guide introduces ({' '.join(words)})"
        if Path(words[0]).name == "wabbit":
            try:
                build_parser().parse_args([w for w in words[1:] if not w.startswith("#")])
            except SystemExit as err:
                raise AssertionError(f"{block.where()}: `{' '.join(words)}` is not a valid wabbit command") from err
