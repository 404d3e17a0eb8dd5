"""Parity with VW's own ``--invert_hash`` readable model: same names, same indexes, every weight to 1e-6.

VW records names while it trains with ``--invert_hash``; here the model is loaded from its file with no special
flag, and the names come from one read of the same data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.introspect import open_model, read_data, varinfo
from tests.introspect.conftest import KINDS, multi_line_data, single_line_data, train_with_invert_hash


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_weight_and_name_equals_the_invert_hash_readable_model(kind: str, tmp_path: Path) -> None:
    multi = kind.startswith("cb")
    data = multi_line_data(300) if multi else single_line_data(kind, 400)
    model, reference = train_with_invert_hash(KINDS[kind], data, tmp_path)
    path = tmp_path / "data.txt"
    path.write_text("".join("\n".join(e) + "\n\n" for e in data) if multi else "\n".join(data) + "\n")  # type: ignore[arg-type]

    ws = open_model(model)
    info = varinfo(ws, read_data(ws, [path]))
    ws.finish()

    sign = -1.0 if multi else 1.0  # contextual bandits are shown in reward space
    ours: dict[int, tuple[set[str], float]] = {}
    for r in range(len(info.term)):
        name, k = info.name(r), int(info.model[r])
        names, _ = ours.setdefault(int(info.index[r]), (set(), sign * float(info.weight[r])))
        if name is not None:
            offset = info.layout.offsets[k]
            names.add(name + (f"[{offset}]" if offset else ""))
    nonzero = {i for i, (_, w) in reference.items() if w != 0}
    assert nonzero == {i for i, (_, w) in ours.items() if w != 0}
    assert info.unnamed == 0  # every weight is explained by the data
    for index, (name, weight) in reference.items():
        names, w = ours[index]
        assert w == pytest.approx(weight, abs=1e-6, rel=1e-6), (index, name)
        assert name in names, (index, name, names)
    assert len(reference) > 100
    if len(info.layout.sub_models) > 1:
        assert {int(m) for m in info.model if m >= 0} == set(range(len(info.layout.sub_models)))
