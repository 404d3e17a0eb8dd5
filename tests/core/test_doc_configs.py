"""Every appliance config the user docs show (README's and docs/*.md's ```yaml blocks, indented ones too) is valid as
written; docs/datagen.md's blocks are generator specs, checked by tests/datagen/test_doc_example.py."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from appliance.config import load_config_text

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "datagen.md")]
BLOCKS = [(f"{doc.relative_to(ROOT)}:{doc.read_text()[:block.start()].count(chr(10)) + 1}", textwrap.dedent(block.group(1)))
          for doc in DOCS for block in re.finditer(r"^ *```yaml\n(.*?)^ *```", doc.read_text(), re.S | re.M)]


def test_the_docs_show_configs() -> None:
    assert {where.split(":")[0] for where, _ in BLOCKS} >= {"README.md", "docs/fleet.md", "docs/tensorboard.md"}


@pytest.mark.parametrize(("where", "text"), BLOCKS, ids=[where for where, _ in BLOCKS])
def test_every_config_in_the_docs_is_valid(where: str, text: str) -> None:
    load_config_text(text, where)
