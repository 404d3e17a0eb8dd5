"""FlatBuffer files proven against VW's schema: Debian's flatc verifies and decodes every buffer, the flatbuffers
library reads them back through code flatc generates, and the hashes are the ones pyvw computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.datagen import generate, load_spec_text

SCHEMA = Path(__file__).parents[2] / "appliance" / "datagen" / "writers" / "example.fbs"
SPEC = """examples: 20
problem: {type: PROBLEM}
shared: [{name: user, count: 3}, {name: geo, type: categorical, count: 2, vocabulary: 40, length: 5}, {name: ids, type: hashed, count: 2}]
"""


def buffers(path: Path) -> list[bytes]:
    data, out, pos = path.read_bytes(), [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos:pos + 4], "little")
        out.append(data[pos:pos + 4 + size])
        pos += 4 + size
    assert pos == len(data)
    return out


def decoded(buffer: bytes, tmp: Path) -> dict:  # type: ignore[type-arg]
    (tmp / "one.bin").write_bytes(buffer)
    run = subprocess.run(["flatc", "--json", "--strict-json", "--size-prefixed", "--raw-binary", "-o", str(tmp), str(SCHEMA), "--",
                          str(tmp / "one.bin")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads((tmp / "one.json").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("problem, actions", [("regression", ""), ("multiclass", "actions: {pool: 3}"),
                                              ("cost_sensitive_ldf", "actions: {pool: 5, per_example: 3}"),
                                              ("cb_adf", "actions: {pool: 5, per_example: 3}")])
def test_flatc_decodes_what_the_text_file_says(problem: str, actions: str, tmp_path: Path) -> None:
    spec = load_spec_text(SPEC.replace("PROBLEM", problem) + actions)
    generate(spec, tmp_path / "data.fb", "flatbuffer")
    generate(spec, tmp_path / "data.txt", "text")
    roots = [decoded(b, tmp_path) for b in buffers(tmp_path / "data.fb")]
    assert len(roots) == 20
    vw = vowpalwabbit.Workspace("--quiet")
    text = (tmp_path / "data.txt").read_text()
    first = roots[0]["example_obj"]
    examples = first["examples"] if roots[0]["example_obj_type"] == "MultiExample" else [first]
    assert examples[0]["tag"] == "gen-000000000" and f"'{examples[0]['tag']} " in text.splitlines()[0]
    for example in examples:
        for ns in example["namespaces"]:
            assert ns["full_hash"] == vw.hash_space(ns["name"]) and ns["hash"] == ord(ns["name"][0])
            mask = (1 << 18) - 1
            assert [h & mask for h in ns["feature_hashes"]] == [vw.hash_feature(n, ns["full_hash"]) for n in ns["feature_names"]]
            for name, value in zip(ns["feature_names"], ns["feature_values"]):
                assert name in text
    if problem == "cb_adf":
        assert examples[0]["label"]["costs"][0]["probability"] == -1.0  # VW's "shared" label
        labelled = [e for e in examples[1:] if "label" in e]
        assert len(labelled) == 1 and 0 < labelled[0]["label"]["costs"][0]["probability"] <= 1


def test_the_flatbuffers_library_reads_the_stream_back(tmp_path: Path) -> None:
    subprocess.run(["flatc", "--python", "-o", str(tmp_path / "generated"), str(SCHEMA)], check=True)
    sys.path.insert(0, str(tmp_path / "generated"))
    try:
        from VW.parsers.flatbuffer.ExampleRoot import ExampleRoot  # type: ignore[import-not-found]
        from VW.parsers.flatbuffer.MultiExample import MultiExample  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(tmp_path / "generated"))
    spec = load_spec_text(SPEC.replace("PROBLEM", "cb_adf") + "actions: {pool: 5, per_example: 3}\ncorrupt: 0.2\nseed: 3")
    truth = generate(spec, tmp_path / "data.fb", "flatbuffer")
    intact = 0
    for buffer in buffers(tmp_path / "data.fb"):
        (tmp_path / "one.bin").write_bytes(buffer)
        verified = subprocess.run(["flatc", "--json", "--size-prefixed", "--raw-binary", "-o", str(tmp_path), str(SCHEMA), "--",
                                   str(tmp_path / "one.bin")], capture_output=True).returncode == 0
        if not verified:
            continue
        intact += 1
        root = ExampleRoot.GetRootAs(buffer, 4)
        multi = MultiExample()
        multi.Init(root.ExampleObj().Bytes, root.ExampleObj().Pos)
        assert multi.ExamplesLength() == 4  # shared + 3 actions
        shared = multi.Examples(0).Namespaces(0)
        assert shared.Name() == b"user" and shared.FeatureValuesLength() == 3
    assert intact == 20 - truth["trouble"]["corrupt"] and truth["trouble"]["corrupt"] > 0
