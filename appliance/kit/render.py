"""The bill of materials and a wiring as Markdown tables (the guide's generated sections) and as plain data (the
dashboard's Kit page), from one source each.

>>> from appliance.config import load_config_text
>>> from appliance.kit.wiring import wiring_of
>>> print(wiring_table(wiring_of(load_config_text("feedback: [{type: button, name: like, pin: 2}]"))))
| device | connect its | to the Pi's | through |
| --- | --- | --- | --- |
| like (push button) | one leg | GPIO2 (pin 3) | a jumper wire |
| like (push button) | the other leg | GND (pin 6) | a jumper wire |
"""

from __future__ import annotations

from typing import Any

from appliance.kit.bom import BillOfMaterials, Part, vendor_of
from appliance.kit.wiring import Wiring


def money(value: float) -> str:
    """``$12``, ``$2.25``.

    >>> money(12.0), money(2.25), money(0.5)
    ('$12', '$2.25', '$0.50')
    """
    return f"${value:.0f}" if value == int(value) else f"${value:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _links(part: Part) -> str:
    links = [part.maker] + [u for u in part.resellers if u != part.maker]
    return " · ".join(f"[{vendor_of(u).name}]({u})" for u in links)


def _alternatives(part: Part) -> str:
    return "<br>".join(f"[{a.name}]({a.link}): {a.note}" if a.link else f"{a.name}: {a.note}" for a in part.alternatives) or "-"


def parts_table(bom: BillOfMaterials, kit_id: str) -> str:
    """A kit's parts: one row per part, choices marked, and the total with the recommended ones."""
    kit = bom.kit(kit_id)
    rows = ["| qty | part | what it is for | price | maker · shops | also known to work |", "| --- | --- | --- | --- | --- | --- |"]
    for item in kit.items:
        for i, part in enumerate(bom.part(p) for p in item.parts):
            qty = str(item.quantity) if i == 0 else "or"
            name = f"**{part.name}**" if i == 0 else part.name
            purpose = part.purpose + (f" *{item.note}*" if item.note and i == 0 else "")
            rows.append(f"| {qty} | {_cell(name)} | {_cell(purpose)} | {money(part.price)} | {_links(part)} | {_cell(_alternatives(part))} |")
    base = f" (with the {bom.kit(kit.adds_to).name.lower()} kit)" if kit.adds_to else ""
    rows.append("")
    rows.append(f"Total with the first choice of each line{base}: **{money(bom.total(kit_id))}** (typical prices, {bom.prices_as_of}).")
    return "\n".join(rows)


def wiring_table(wiring: Wiring) -> str:
    """Every wire of a config: which terminal of which device goes to which Pi pin, through what."""
    rows = ["| device | connect its | to the Pi's | through |", "| --- | --- | --- | --- |"]
    rows += [f"| {_cell(r['device'])} | {_cell(r['terminal'])} | {r['pin']} | {r['through']} |" for r in wiring.rows()]
    return "\n".join(rows)


def bom_data(bom: BillOfMaterials) -> dict[str, Any]:
    """The bill of materials for the dashboard: each kit with its items' parts resolved, links named by vendor,
    and its total."""
    def part(p: Part) -> dict[str, Any]:
        return {**p.model_dump(exclude={"maker", "resellers"}), "links": [{"vendor": vendor_of(u).name, "url": u, "maker": u == p.maker}
                                                                          for u in [p.maker] + [r for r in p.resellers if r != p.maker]]}
    kits = [{"id": k.id, "name": k.name, "summary": k.summary, "adds_to": k.adds_to, "demo": k.demo, "total": bom.total(k.id),
             "items": [{"quantity": i.quantity, "note": i.note, "parts": [part(bom.part(p)) for p in i.parts]} for i in k.items]}
            for k in bom.kits]
    return {"currency": bom.currency, "prices_as_of": bom.prices_as_of, "kits": kits}
