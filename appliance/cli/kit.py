"""``wabbit kit wiring CONFIG -o DIR`` | ``parts [--kit ID] [--format text|markdown|json]`` | ``schema``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.kit.bom import BillOfMaterials, Kit

HELP = "The hello-world kit: wiring diagrams (SVG) for a config's pins, the parts to buy, the parts list's schema."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    wiring = sub.add_parser("wiring", help="Write a config's breadboard view and schematic as SVG, and print its wiring table.")
    wiring.add_argument("config", type=Path, help="The YAML config whose actuators, feedback and button triggers are wired.")
    wiring.add_argument("-o", "--out", type=Path, default=Path("."), help="Directory for NAME-breadboard.svg and NAME-schematic.svg.")
    parts = sub.add_parser("parts", help="List the parts of the kits, with prices and where to buy them.")
    parts.add_argument("--kit", help="Only this kit (hello-world, camera, npu).")
    parts.add_argument("--format", choices=["text", "markdown", "json"], default="text", help="Output format (default: text).")
    sub.add_parser("schema", help="Print the JSON schema of kit/bom.yaml.")


def run(args: argparse.Namespace) -> int:
    from appliance.kit.bom import BillOfMaterials, load_bom

    if args.action == "wiring":
        return _wiring(args.config, args.out)
    if args.action == "schema":
        print(json.dumps(BillOfMaterials.model_json_schema(), indent=2))
        return 0
    bom = load_bom()
    kits = [bom.kit(args.kit)] if args.kit else bom.kits
    if args.format == "json":
        from appliance.kit.render import bom_data

        data = bom_data(bom)
        data["kits"] = [k for k in data["kits"] if k["id"] in {kit.id for kit in kits}]
        print(json.dumps(data, indent=2, ensure_ascii=False))
    elif args.format == "markdown":
        from appliance.kit.render import parts_table

        print("\n\n".join(f"## {kit.name}\n\n{parts_table(bom, kit.id)}" for kit in kits))
    else:
        _text(bom, kits)
    return 0


def _wiring(config: Path, out: Path) -> int:
    from appliance.errors import UsageError
    from appliance.kit.breadboard import breadboard
    from appliance.kit.schematic import schematic
    from appliance.kit.wiring import load_wiring

    wiring = load_wiring(config)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{out}: not a directory; give -o the directory to write the two SVG files in") from None
    except OSError as err:
        raise UsageError(f"{out}: cannot make the directory ({err.strerror}); give -o a directory you can write in") from None
    for row in wiring.rows():
        print(f"{row['device']}: {row['terminal']} -> {row['pin']} through {row['through']}")
    if not wiring.devices:
        print(f"{config}: no GPIO devices (actuators, feedback or button triggers) to wire")
    for view, draw in (("breadboard", breadboard), ("schematic", schematic)):
        path = out / f"{config.stem}-{view}.svg"
        path.write_text(draw(wiring, config.name), encoding="utf-8")
        print(f"wrote {path}")
    return 0


def _text(bom: "BillOfMaterials", kits: "list[Kit]") -> None:
    from appliance.kit.render import money

    for kit in kits:
        base = f", with the {kit.adds_to} kit" if kit.adds_to else ""
        print(f"{kit.name} kit: {money(bom.total(kit.id))}{base} (typical prices, {bom.prices_as_of})")
        for item in kit.items:
            for i, part in enumerate(bom.part(p) for p in item.parts):
                print(f"  {str(item.quantity) + ' x' if i == 0 else '   or':>5} {part.name:<52} {money(part.price):>7}  {part.maker}")
        print()
