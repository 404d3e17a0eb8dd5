"""docs/introspect.md's example (``open_model``, ``read_data``, ``varinfo``) run as written, in a directory holding
the ``model.vw`` and ``train.txt`` it names: it prints the 20 most important terms, with VW's own weights."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.introspect.conftest import single_line_data, train_with_invert_hash

DOC = Path(__file__).parents[2] / "docs" / "introspect.md"


def test_the_documented_introspect_example_prints_the_top_terms_with_vws_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = [b for b in re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), re.S | re.M) if "open_model(" in b]
    data = single_line_data("regression", 200)
    model, reference = train_with_invert_hash("", data, tmp_path)
    assert model == tmp_path / "model.vw"
    (tmp_path / "train.txt").write_text("\n".join(data) + "\n")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/introspect.md's example", "exec"), {})  # noqa: S102 - the doc's own example
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header.split() == ["FeatureName", "HashVal", "MinVal", "MaxVal", "Weight", "RelScore", "Importance"]
    assert len(rows) == 20
    for row in rows:
        _, index, *_, weight, _, _ = row.split()
        assert reference[int(index)][1] == pytest.approx(float(weight), abs=1e-6), row
