"""kit/bom.yaml: the schema rejects what is wrong at its line, every link has its form and a known vendor's domain,
the kits hold the parts issue 20 names, and `wabbit kit parts` renders it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from appliance.kit.bom import VENDORS, BillOfMaterials, load_bom, load_bom_text, vendor_of
from appliance.kit.errors import KitError
from appliance.kit.files import share_file

BOM = share_file("kit/bom.yaml").read_text(encoding="utf-8")


def test_the_kits_hold_the_parts_the_issue_names() -> None:
    bom = load_bom()
    choices = {kit.id: [item.parts for item in kit.items] for kit in bom.kits}
    assert ["pi5", "pi4", "pi-zero-2-w"] in choices["hello-world"]
    flat = {p for items in choices["hello-world"] for p in items}
    assert {"psu-27w", "sd-card", "rgb-led", "resistors-220", "button", "breadboard", "jumpers-female-male", "usb-mic"} <= flat
    assert ["camera-module-3", "usb-webcam"] in choices["camera"] and bom.kit("camera").adds_to == "hello-world"
    assert ["ai-hat", "ai-kit", "ai-camera", "coral-usb"] in choices["npu"] and bom.kit("npu").adds_to == "camera"
    assert bom.total("hello-world") < bom.total("camera") < bom.total("npu")
    assert all(kit.demo and share_file(kit.demo).is_file() for kit in bom.kits)


def test_every_part_links_its_maker_and_one_or_two_shops() -> None:
    for part in load_bom().parts:
        assert vendor_of(part.maker).maker, part.id
        assert 1 <= len(part.resellers) <= 2 and all(vendor_of(u).reseller for u in part.resellers), part.id
        assert part.purpose and part.price > 0
        for alternative in part.alternatives:
            assert alternative.link is None or vendor_of(alternative.link)


def test_every_vendor_is_used_and_every_field_is_described() -> None:
    used = {domain for domain in VENDORS if f"{domain}/" in BOM}
    assert used == set(VENDORS), f"vendors nobody links: {set(VENDORS) - used}"
    schema = BillOfMaterials.model_json_schema()
    for name, definition in [("BillOfMaterials", schema), *schema["$defs"].items()]:
        for key, field in definition.get("properties", {}).items():
            assert field.get("description"), f"{name}.{key} has no description"


@pytest.mark.parametrize("old, new, message", [
    ("https://www.adafruit.com/product/64", "https://www.example.com/breadboard", "www.example.com is not one of the known vendors"),
    ("https://www.adafruit.com/product/64", "http://www.adafruit.com/product/64", "is not a link of the form https://host/path"),
    ("maker: https://www.raspberrypi.com/products/raspberry-pi-5/", "maker: https://thepihut.com/products/raspberry-pi-5",
     "is a shop, not a maker"),
    ("resellers: [https://www.adafruit.com/product/5812", "resellers: [https://www.raspberrypi.com/products/raspberry-pi-5/",
     "does not sell directly"),
    ("price: 60", "price: -60", "Input should be greater than 0"),
])
def test_a_bad_link_or_value_is_refused_at_its_line(old: str, new: str, message: str) -> None:
    assert old in BOM
    text = BOM.replace(old, new, 1)
    line = text[:text.index(new)].count("\n") + 1
    with pytest.raises(KitError) as err:
        load_bom_text(text, "bom.yaml")
    assert f"bom.yaml:{line}: " in str(err.value) and message in str(err.value), str(err.value)


def test_a_kit_naming_a_missing_part_or_kit_is_refused() -> None:
    with pytest.raises(KitError, match="no part has the id pi6"):
        load_bom_text(BOM.replace("parts: [pi5, pi4, pi-zero-2-w]", "parts: [pi6, pi4, pi-zero-2-w]"))
    with pytest.raises(KitError, match="adds_to 'camera' must name a kit listed before it"):
        load_bom_text(BOM.replace("adds_to: hello-world", "adds_to: camera"))


def wabbit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", *args], capture_output=True, text=True, timeout=60)


def test_wabbit_kit_parts_renders_text_markdown_json_and_the_schema() -> None:
    text = wabbit("kit", "parts", "--kit", "hello-world")
    assert text.returncode == 0 and "Hello world kit: $104.50" in text.stdout and "Raspberry Pi Zero 2 W" in text.stdout
    markdown = wabbit("kit", "parts", "--format", "markdown").stdout
    assert "[The Pi Hut](https://thepihut.com/products/raspberry-pi-5)" in markdown and markdown.count("Total with") == 3
    data: dict[str, Any] = json.loads(wabbit("kit", "parts", "--format", "json", "--kit", "npu").stdout)
    assert [k["id"] for k in data["kits"]] == ["npu"] and data["kits"][0]["total"] == load_bom().total("npu")
    assert json.loads(wabbit("kit", "schema").stdout)["title"] == "BillOfMaterials"
    missing = wabbit("kit", "parts", "--kit", "robot")
    assert missing.returncode == 2 and "no kit 'robot'; the kits are hello-world, camera, npu" in missing.stderr
