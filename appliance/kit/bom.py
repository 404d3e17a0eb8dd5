"""The bill of materials (``kit/bom.yaml``): the parts, and the kits made of them, which the guide and the
dashboard's Kit page render. Unknown keys are errors, every field is described, and errors name the YAML line.

Links are checked for form (``https://host/path``) and against :data:`VENDORS`, a short list of makers and
well-known shops; nothing here fetches them (the tests run without internet).

>>> bom = load_bom()
>>> [k.id for k in bom.kits], bom.kit("camera").adds_to
(['hello-world', 'camera', 'npu'], 'hello-world')
>>> vendor_of("https://www.adafruit.com/product/64").name
'Adafruit'
>>> load_bom_text("currency: USD\\nprices_as_of: 2025-06\\nparts: []\\nkits: []\\ncolour: red\\n", "bom.yaml")
Traceback (most recent call last):
...
appliance.kit.errors.KitError: bom.yaml:5: colour: unknown key; remove it or check its spelling (`wabbit kit schema` lists the keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from appliance.config.base import StrictModel, load_yaml_model
from appliance.errors import ConfigError
from appliance.kit.errors import KitError


@dataclass(frozen=True)
class Vendor:
    name: str
    maker: bool
    reseller: bool


VENDORS: dict[str, Vendor] = {
    "raspberrypi.com": Vendor("Raspberry Pi", maker=True, reseller=False),
    "coral.ai": Vendor("Coral", maker=True, reseller=False),
    "logitech.com": Vendor("Logitech", maker=True, reseller=False),
    "adafruit.com": Vendor("Adafruit", maker=True, reseller=True),
    "sparkfun.com": Vendor("SparkFun", maker=True, reseller=True),
    "thepihut.com": Vendor("The Pi Hut", maker=False, reseller=True),
    "pimoroni.com": Vendor("Pimoroni", maker=True, reseller=True),
    "seeedstudio.com": Vendor("Seeed Studio", maker=False, reseller=True),
    "mouser.com": Vendor("Mouser", maker=False, reseller=True),
    "berrybase.de": Vendor("BerryBase", maker=False, reseller=True),
    "amazon.com": Vendor("Amazon", maker=False, reseller=True),
}
"""The domains a link may point at (a subdomain such as www. or shop. counts as its domain)."""
URL = re.compile(r"^https://(?P<host>[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(?P<path>/[A-Za-z0-9._~%/?=&+-]*)$")


def vendor_of(url: str) -> Vendor:
    """The vendor a link points at; ``ValueError`` (naming the fix) if its form is wrong or the domain is not listed."""
    match = URL.match(url)
    if match is None:
        raise ValueError(f"{url!r} is not a link of the form https://host/path (lower-case host, no spaces or quotes)")
    host = match["host"]
    for domain, vendor in VENDORS.items():
        if host == domain or host.endswith("." + domain):
            return vendor
    raise ValueError(f"{host} is not one of the known vendors ({', '.join(VENDORS)}); link one of them, or add the shop to "
                     "VENDORS in appliance/kit/bom.py")


def _known(url: str) -> str:
    vendor_of(url)
    return url


def _maker(url: str) -> str:
    if not vendor_of(url).maker:
        raise ValueError(f"{url} is a shop, not a maker: link the maker's own product page")
    return url


def _reseller(url: str) -> str:
    if not vendor_of(url).reseller:
        raise ValueError(f"{url} is a maker that does not sell directly: link a shop (reseller)")
    return url


Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="Lower-case letters, digits and dashes.")]
MakerLink = Annotated[str, Field(max_length=300), AfterValidator(_maker)]
ShopLink = Annotated[str, Field(max_length=300), AfterValidator(_reseller)]


class Alternative(StrictModel):
    name: str = Field(min_length=1, max_length=120, description="What else works in its place.")
    note: str = Field(min_length=1, max_length=400, description="What to know when you use it instead (a config change, a limit).")
    link: Annotated[str, Field(max_length=300), AfterValidator(_known)] | None = Field(
        None, description="A product page for it, on a known vendor's domain.")


class Part(StrictModel):
    id: Id = Field(description="How kits refer to this part.")
    name: str = Field(min_length=1, max_length=120, description="The product, as its maker names it.")
    purpose: str = Field(min_length=1, max_length=400, description="What it is for in the appliance.")
    maker: MakerLink = Field(description="The maker's product page.")
    resellers: list[ShopLink] = Field(min_length=1, max_length=2, description="One or two well-known shops that sell it.")
    price: float = Field(gt=0, le=1000, description="Typical price in the bill's currency, for one (or one pack).")
    alternatives: list[Alternative] = Field(default_factory=list, max_length=6, description="Other parts known to work.")


class Item(StrictModel):
    parts: list[Id] = Field(min_length=1, max_length=6, description="The part, or parts to choose one of (the first is the recommendation).")
    quantity: int = Field(1, ge=1, le=100, description="How many (of the part, or of packs).")
    note: str = Field("", max_length=400, description="Which to choose, or what the quantity is for.")


class Kit(StrictModel):
    id: Id = Field(description="The kit's id.")
    name: str = Field(min_length=1, max_length=80, description="The kit's name.")
    summary: str = Field(min_length=1, max_length=600, description="What you can do with it.")
    adds_to: Id | None = Field(None, description="The kit this one extends (its parts are needed too); empty: a kit of its own.")
    demo: str | None = Field(None, pattern=r"^demos/[a-z0-9-]+\.yaml$", description="The demo config it runs (demos/NAME.yaml).")
    items: list[Item] = Field(min_length=1, max_length=40, description="What to buy for this kit.")


class BillOfMaterials(StrictModel):
    """``kit/bom.yaml``: every part once, and the kits that use them."""

    currency: Literal["USD"] = Field(description="The currency of the prices.")
    prices_as_of: str = Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", description="When the prices were typical (YYYY-MM).")
    parts: list[Part] = Field(max_length=200, description="Every part any kit uses.")
    kits: list[Kit] = Field(max_length=20, description="The kits, smallest first.")

    @model_validator(mode="after")
    def _references(self) -> "BillOfMaterials":
        ids = [p.id for p in self.parts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"part ids must be unique; repeated: {', '.join(repeated)}")
        kit_ids = [k.id for k in self.kits]
        for kit in self.kits:
            unknown = sorted({p for item in kit.items for p in item.parts} - set(ids))
            if unknown:
                raise ValueError(f"kit {kit.id}: no part has the id {', '.join(unknown)}; add it to parts or fix the spelling")
            if kit.adds_to is not None and kit.adds_to not in kit_ids[:kit_ids.index(kit.id)]:
                raise ValueError(f"kit {kit.id}: adds_to {kit.adds_to!r} must name a kit listed before it ({', '.join(kit_ids)})")
        return self

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)

    def kit(self, kit_id: str) -> Kit:
        for kit in self.kits:
            if kit.id == kit_id:
                return kit
        raise KitError(f"no kit {kit_id!r}; the kits are {', '.join(k.id for k in self.kits)}")

    def total(self, kit_id: str) -> float:
        """The price of a kit with the recommended parts, including the kits it adds to."""
        kit = self.kit(kit_id)
        own = sum(self.part(item.parts[0]).price * item.quantity for item in kit.items)
        return round(own + (self.total(kit.adds_to) if kit.adds_to else 0.0), 2)


def bom_path() -> Path:
    from appliance.kit.files import share_file

    return share_file("kit/bom.yaml")


def load_bom_text(text: str, source: str = "bom.yaml") -> BillOfMaterials:
    try:
        return load_yaml_model(BillOfMaterials, text, source, schema_command="wabbit kit schema")
    except ConfigError as err:
        raise KitError(str(err)) from None


def load_bom(path: Path | None = None) -> BillOfMaterials:
    """The bill of materials at ``path`` (default: the one shipped with the appliance)."""
    path = path or bom_path()
    return load_bom_text(path.read_text(encoding="utf-8"), str(path.name))
