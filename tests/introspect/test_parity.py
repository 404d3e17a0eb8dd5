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


@pytest.mark.parametrize("options", ["--chain_hash", "--chain_hash --hash all", ""])
def test_dsjson_string_features_of_a_chain_hash_model_equal_the_invert_hash_readable_model(options: str, tmp_path: Path) -> None:
    """A ``--chain_hash`` model (kept in its file) hashes ``"city": "paris"`` as hash("paris", hash("city", namespace)):
    its string features used to be named the default way, shown with the weight 0 of a slot VW never uses, while their
    real weights went unnamed."""
    import json
    import random

    import vowpalwabbit

    from tests.introspect.conftest import parse_readable

    rng = random.Random(4)
    lines = []
    for _ in range(200):
        k = rng.randrange(3)
        lines.append(json.dumps({
            "_label_cost": -float(rng.random() < 0.3 + 0.2 * k), "_label_probability": 1 / 3, "_label_Action": k + 1, "_labelIndex": k,
            "a": [k + 1] + [j + 1 for j in range(3) if j != k], "p": [1 / 3] * 3,
            "c": {"user": {"city": rng.choice(["paris", "rome", "7"]), "age": rng.randint(18, 60)},
                  "_multi": [{"_id": a, "item": {"name": a, "price": p}} for a, p in (("a", 1.0), ("b", 2.0), ("c", 3.0))]}}))
    data = tmp_path / "data.dsjson"
    data.write_text("\n".join(lines) + "\n")
    readable, model = tmp_path / "readable.txt", tmp_path / "model.vw"
    ws = vowpalwabbit.Workspace(f"--cb_explore_adf -q ui {options} --dsjson -d {data} -f {model} --invert_hash {readable} "
                                "--hexfloat_weights --quiet")
    ws.run_parser()
    ws.finish()
    reference = parse_readable(readable)

    ws = open_model(model)
    info = varinfo(ws, read_data(ws, [data]))
    ws.finish()
    ours = {int(info.index[r]): (info.name(r), -float(info.weight[r])) for r in range(len(info.term)) if info.weight[r] != 0}
    assert info.unnamed == 0
    assert {i: name for i, (name, _) in reference.items()} == {i: name for i, (name, _) in ours.items()}
    for index, (_, weight) in reference.items():
        assert ours[index][1] == pytest.approx(weight, abs=1e-6, rel=1e-6)
