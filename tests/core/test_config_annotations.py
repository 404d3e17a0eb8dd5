"""The config models and the API's schemas are built at every start of the daemon; with postponed annotations
(``from __future__ import annotations``) pydantic compiles and evaluates each field's annotation string first
(about 500 of them: 55 M instructions, `daemon.ready_s`'s figure). Nothing but this test would notice one coming
back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL_MODULES = sorted([*(ROOT / "appliance" / "config").glob("*.py"), *(ROOT / "featurizers" / "config").glob("*.py"),
                        *(ROOT / "appliance" / "server").glob("schemas*.py")])


def postponed(path: Path) -> bool:
    """Whether the module at ``path`` imports ``annotations`` from ``__future__``."""
    return any(isinstance(node, ast.ImportFrom) and node.module == "__future__" and any(a.name == "annotations" for a in node.names)
               for node in ast.parse(path.read_text(encoding="utf-8")).body)


def test_the_model_modules_do_without_postponed_annotations() -> None:
    assert len(MODEL_MODULES) > 20  # the config's modules, the featurizers' and the API's schemas
    assert [str(p.relative_to(ROOT)) for p in MODEL_MODULES if postponed(p)] == []


def test_the_check_sees_a_postponed_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""A model module."""\n\nfrom __future__ import annotations\n\nimport os\n')
    assert postponed(module)
    module.write_text('"""Mentions ``from __future__ import annotations`` in prose only."""\n\nimport os\n')
    assert not postponed(module)
