"""docs/datagen.md as a user runs it: its first spec, with its Python line typed as written (file names as strings),
writes the data and its truth; every spec block on the page is valid."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import appliance.datagen
from appliance.datagen import load_spec, load_spec_text

PAGE = Path(__file__).parents[2] / "docs" / "datagen.md"
BLOCKS = [re.sub(r"^  ", "", block, flags=re.M) for block in re.findall(r"```yaml\n(.*?)```", PAGE.read_text(), re.S)]


def test_the_pages_python_line_writes_its_first_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = re.search(r"`(appliance\.datagen\.generate\(load_spec\(path\), out, \"dsjson\"\))`", PAGE.read_text())
    assert line, "docs/datagen.md: no `appliance.datagen.generate(load_spec(path), ...)` line"
    monkeypatch.chdir(tmp_path)
    Path("spec.yaml").write_text(BLOCKS[0].replace("examples: 100000", "examples: 300"))
    truth = eval(line.group(1), {"appliance": appliance, "load_spec": load_spec, "path": "spec.yaml", "out": "data.dsjson"})
    assert truth["examples"] == 300 and truth["problem"] == "cb_adf"
    assert len(Path("data.dsjson").read_text().splitlines()) >= 299  # corrupt: 0.001 may cut one short
    assert json.loads(Path("data.dsjson.truth.json").read_text())["value"]["oracle"] > truth["value"]["uniform"]


@pytest.mark.parametrize("block", range(len(BLOCKS)))
def test_every_spec_on_the_page_is_valid(block: int) -> None:
    assert load_spec_text(BLOCKS[block]).examples > 0
