"""Regenerate what the kit derives from its sources, in a checkout: ``python -m appliance.kit.update [--check]``.

- ``kit/wiring/NAME-breadboard.svg`` and ``NAME-schematic.svg`` for every demo that drives GPIO pins, from the
  demo config's own pin definitions;
- the guide's (``kit/README.md``) generated sections, marked ``<!-- generated: parts KIT -->`` or
  ``<!-- generated: wiring DEMO -->`` and closed by ``<!-- end -->``: the parts tables from ``kit/bom.yaml`` and
  the wiring tables from the demos.

``--check`` changes nothing and exits 1 naming what is out of date (tests/kit runs it).

>>> replace_sections("a\\n<!-- generated: parts x -->\\nold\\n<!-- end -->\\nb", lambda what, name: f"{what} {name}")
'a\\n<!-- generated: parts x -->\\nparts x\\n<!-- end -->\\nb'
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable

from appliance.kit.bom import load_bom
from appliance.kit.breadboard import breadboard
from appliance.kit.files import CHECKOUT, demo_names, demo_path
from appliance.kit.render import parts_table, wiring_table
from appliance.kit.schematic import schematic
from appliance.kit.wiring import load_wiring

GUIDE = "kit/README.md"
SECTION = re.compile(r"(<!-- generated: (parts|wiring) ([a-z0-9-]+) -->\n)(.*?)(<!-- end -->)", re.S)


def replace_sections(text: str, render: Callable[[str, str], str]) -> str:
    """``text`` with each generated section's body replaced by ``render(what, name)``."""
    return SECTION.sub(lambda m: m[1] + render(m[2], m[3]).rstrip("\n") + "\n" + m[5], text)


def diagrams() -> dict[str, str]:
    """Each demo's diagrams, by their path in the checkout."""
    files = {}
    for name in demo_names():
        wiring = load_wiring(demo_path(name))
        if wiring.devices:
            files[f"kit/wiring/{name}-breadboard.svg"] = breadboard(wiring, f"demos/{name}.yaml")
            files[f"kit/wiring/{name}-schematic.svg"] = schematic(wiring, f"demos/{name}.yaml")
    return files


def guide(text: str) -> str:
    bom = load_bom()
    return replace_sections(text, lambda what, name: parts_table(bom, name) if what == "parts" else wiring_table(load_wiring(demo_path(name))))


def generated(root: Path = CHECKOUT) -> dict[Path, str]:
    """Every generated file's path and the content it should have."""
    files = {root / path: text for path, text in diagrams().items()}
    files[root / GUIDE] = guide((root / GUIDE).read_text(encoding="utf-8"))
    return files


def stale(root: Path = CHECKOUT) -> list[str]:
    """The generated files that are missing or differ from what their sources give, and stray diagrams."""
    files = generated(root)
    out = [str(p.relative_to(root)) for p, text in files.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    out += [str(p.relative_to(root)) + " (no demo makes it)" for p in sorted((root / "kit/wiring").glob("*.svg")) if p not in files]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.kit.update", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="Change nothing; exit 1 if a generated file is out of date.")
    args = parser.parse_args(argv)
    if args.check:
        out = stale()
        for name in out:
            print(f"out of date: {name}", file=sys.stderr)
        if out:
            print("run: python -m appliance.kit.update", file=sys.stderr)
        return 1 if out else 0
    (CHECKOUT / "kit/wiring").mkdir(parents=True, exist_ok=True)
    for old in (CHECKOUT / "kit/wiring").glob("*.svg"):
        old.unlink()
    for path, text in generated().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(CHECKOUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
