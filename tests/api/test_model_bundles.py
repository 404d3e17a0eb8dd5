"""Model bundles (issue 16, part 3): `wabbit model pack` from a model file or a data directory, `inspect`, and
`serve` (the bundle becomes a named model of the daemon, predicting as the packed model did); a corrupt bundle, a
wrong checksum or a newer VW version are refused with an error that says which."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import vowpalwabbit

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import load_config_text
from appliance.errors import UsageError
from appliance.models.bundle import pack_bundle, read_bundle
from tests.api.conftest import FAST, start_daemon

EXAMPLES = ["1 | sunny warm", "2 | rain cold", "3 | snow freezing"] * 30


def wabbit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", *map(str, args)], capture_output=True, text=True, timeout=120)


def trained(path: Path) -> list[int]:
    """A --oaa 3 model saved to ``path``; its predictions of snow, sunny and rain."""
    ws = vowpalwabbit.Workspace("--oaa 3 --quiet")
    for line in EXAMPLES:
        ws.learn(line)
    ws.save(str(path))
    predictions = [int(ws.predict(x)) for x in ("| snow", "| sunny", "| rain")]
    ws.finish()
    return predictions


def rewritten(bundle: Path, out: Path, change: dict[str, bytes]) -> Path:
    """A copy of ``bundle`` with some members' bytes replaced."""
    with tarfile.open(bundle) as src, tarfile.open(out, "w") as dst:
        for member in src.getmembers():
            data = change.get(member.name) or src.extractfile(member).read()  # type: ignore[union-attr]
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return out


def test_pack_inspect_serve_and_pack_again_from_the_data_directory(tmp_path: Path) -> None:
    expected = trained(tmp_path / "m.vw")
    bundle = tmp_path / "ratings.wabbit"
    done = wabbit("model", "pack", bundle, "--model", tmp_path / "m.vw", "--vw-arguments", "--oaa 3", "--name", "ratings",
                  "--model-version", "90")
    assert done.returncode == 0 and "vw model 'ratings', version 90" in done.stdout, done.stderr
    manifest = json.loads(wabbit("model", "inspect", bundle).stdout)
    assert manifest["format"] == "wabbit-bundle/1" and manifest["vw_version"] == vowpalwabbit.__version__

    data = tmp_path / "data"
    assert wabbit("model", "serve", bundle, "--data-dir", data, "--no-run").returncode == 0
    (tmp_path / "config.yaml").write_text(FAST)
    running = start_daemon(tmp_path, FAST, data_dir=data)
    try:
        with running.client() as c:
            got = c.post("/api/models/ratings/predict", json={"format": "text", "examples": ["| snow", "| sunny", "| rain"]}).json()
            assert [p["value"] for p in got["predictions"]] == expected
            assert c.get("/api/models/ratings/statistics").json()["model_version"] == 90
            c.post("/api/models/ratings/learn", json={"format": "text", "examples": ["3 | snow"]}).raise_for_status()
            for _ in range(30):
                c.post("/api/decide", json={"context": {"u": {"x": 1.0}}}).raise_for_status()
            deadline = time.monotonic() + 20
            while c.get("/api/status").json()["loop"]["learned"] < 30:  # the default model learns them (1 s wait)
                assert time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        running.stop()

    again = tmp_path / "again.wabbit"
    assert wabbit("model", "pack", again, "--data-dir", data, "--name", "ratings").returncode == 0
    assert json.loads(wabbit("model", "inspect", again).stdout)["model_version"] == 91
    default = tmp_path / "default.wabbit"
    refused = wabbit("model", "pack", default, "--data-dir", data)  # the daemon ran with a config from elsewhere
    assert refused.returncode == 2 and "or an empty file if it ran with none" in refused.stderr, refused.stderr
    done = wabbit("model", "pack", default, "--data-dir", data, "--config", tmp_path / "config.yaml")
    assert done.returncode == 0 and "loop model 'default'" in done.stdout, done.stderr
    served = start_daemon(tmp_path, None, data_dir=tmp_path / "other", command=("model", "serve", str(default), "--name", "copy"))
    try:
        with served.client() as client:
            packed = json.loads(wabbit("model", "inspect", default).stdout)["model_version"]
            decision = client.post("/api/models/copy/decide", json={"context": {"u": {"x": 1.0}}}).json()
            assert packed >= 30 and decision["model_version"] >= packed  # goes on from the packed model (its world runs too)
    finally:
        out = served.stop()
    assert served.proc.returncode == 0, out


def test_bundles_that_are_refused_say_why(tmp_path: Path) -> None:
    trained(tmp_path / "m.vw")
    bundle = tmp_path / "ratings.wabbit"
    assert wabbit("model", "pack", bundle, "--model", tmp_path / "m.vw", "--vw-arguments", "--oaa 3").returncode == 0
    manifest = json.loads(wabbit("model", "inspect", bundle).stdout)
    assert manifest["name"] == "ratings"  # the bundle's file name, not the model file's (m)
    missing = wabbit("model", "inspect", tmp_path / "missing.wabbit")
    assert missing.returncode == 2 and "missing.wabbit: no such file" in missing.stderr, missing.stderr
    (tmp_path / "junk.wabbit").write_bytes(b"this is no tar archive at all" * 40)

    def changed(name: str, member: str, data: bytes) -> str:
        return rewritten(bundle, tmp_path / name, {member: data}).name

    cases = {
        "junk.wabbit": "not a model bundle",
        changed("cut.wabbit", "model.vw", (tmp_path / "m.vw").read_bytes()[:-7]): "SHA-256",
        changed("newer.wabbit", "manifest.json", json.dumps({**manifest, "vw_version": "9.99.0"}).encode()): "newer than this appliance's",
        changed("major.wabbit", "manifest.json", json.dumps({**manifest, "vw_version": "8.11.0"}).encode()): "another major version",
        changed("format.wabbit", "manifest.json", json.dumps({**manifest, "format": "x/9"}).encode()): "bundle format 'x/9'",
    }
    for name, message in cases.items():
        done = wabbit("model", "serve", tmp_path / name, "--data-dir", tmp_path / "data", "--no-run")
        assert done.returncode == 2 and message in done.stderr, (name, done.stderr)
    assert not any((tmp_path / "data" / "models").glob("*/model.json"))  # nothing stays of a refused bundle


@pytest.mark.parametrize(("field", "value"), [("vw_arguments", {}), ("config_yaml", 0), ("name", None), ("created", "today"),
                                              ("size", True), ("host", []), ("model_version", -1), ("model_version", 1.5)])
def test_a_manifest_field_of_the_wrong_type_is_named(tmp_path: Path, field: str, value: object) -> None:
    """Falsy values of another type ({} as the VW arguments) are refused too: they used to pass to an AttributeError."""
    trained(tmp_path / "m.vw")
    bundle = tmp_path / "ratings.wabbit"
    pack_bundle(bundle, tmp_path / "m.vw", "ratings", vw_arguments="--oaa 3")
    with tarfile.open(bundle) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    changed = rewritten(bundle, tmp_path / "changed.wabbit", {"manifest.json": json.dumps({**manifest, field: value}).encode()})
    with pytest.raises(UsageError, match=f"wrong type: {field} "):
        read_bundle(changed, tmp_path / "out")



def test_pack_takes_the_checkpoint_of_the_policy_kind_its_config_names(tmp_path: Path) -> None:
    vw, linucb = tmp_path / "vw.yaml", tmp_path / "linucb.yaml"
    vw.write_text("policy: {actions: [{id: a}, {id: b}]}\nsimulation: null\n")
    linucb.write_text("policy: {type: linucb, actions: [{id: a}, {id: b}]}\nsimulation: null\n")
    switched, only_linucb = tmp_path / "switched", tmp_path / "only-linucb"
    for data, configs in ((switched, (vw, linucb)), (only_linucb, (linucb,))):  # the first ran vw, then linucb
        for config in configs:
            loop = open_loop(load_config_text(config.read_text()), FakeClock(1_700_000_000.0), data)
            loop.recover()
            loop.close()

    def packed_model(config: Path) -> bytes:
        done = wabbit("model", "pack", tmp_path / "out.wabbit", "--data-dir", switched, "--config", config)
        assert done.returncode == 0, done.stderr
        read_bundle(tmp_path / "out.wabbit", tmp_path / "unpacked")
        return (tmp_path / "unpacked" / "model.vw").read_bytes()
    assert not packed_model(vw).startswith(b"PK"), "a vw config gets the vw checkpoint, not the newer linucb one"
    assert packed_model(linucb).startswith(b"PK")  # linucb saves an .npz (a zip)
    refused = wabbit("model", "pack", tmp_path / "none.wabbit", "--data-dir", only_linucb, "--config", vw)
    assert refused.returncode == 2 and "no checkpoint saved by the vw policy its config names" in refused.stderr, refused.stderr


def test_pack_refuses_what_it_cannot_read_or_write_or_serve_saying_what(tmp_path: Path) -> None:
    """Each case used to be a traceback, or a bundle that `inspect` or `serve` refuses only on the other appliance."""
    trained(tmp_path / "m.vw")
    (tmp_path / "junk.vw").write_text("not a model at all\n")
    (tmp_path / "bad.yaml").write_text("policy:\n  type: linucb\n   bad: 1\n")
    (tmp_path / "folder.wabbit").mkdir()
    (tmp_path / "data").mkdir()
    vw = ("--vw-arguments", "--oaa 3")
    cases: dict[str, tuple[tuple[object, ...], str]] = {
        "missing model": (("--model", tmp_path / "none.vw", *vw), f"{tmp_path / 'none.vw'}: no such file"),
        "model is a folder": (("--model", tmp_path, *vw), f"{tmp_path}: is a directory"),
        "not a VW model": (("--model", tmp_path / "junk.vw", *vw), "is not a Vowpal Wabbit model"),
        "missing config": (("--model", tmp_path / "m.vw", "--config", tmp_path / "none.yaml"), "none.yaml: cannot read the config"),
        "config with a YAML error": (("--model", tmp_path / "m.vw", "--config", tmp_path / "bad.yaml"), "bad.yaml:3: not valid YAML"),
        "negative version": (("--model", tmp_path / "m.vw", *vw, "--model-version", "-1"), "--model-version -1: give a whole number"),
        "no such named model": (("--data-dir", tmp_path / "data", "--name", "foo"), "no model 'foo'"),
    }
    for case, (args, message) in cases.items():
        done = wabbit("model", "pack", tmp_path / "out.wabbit", *args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, (case, done.stderr)
        assert not (tmp_path / "out.wabbit").exists(), case
    done = wabbit("model", "pack", tmp_path / "My Ratings.wabbit", "--model", tmp_path / "m.vw", *vw)  # a name serve refuses
    assert done.returncode == 2 and "model name 'My Ratings': use 1-63 lower-case" in done.stderr and "--name" in done.stderr, done.stderr
    assert not (tmp_path / "My Ratings.wabbit").exists()
    done = wabbit("model", "pack", tmp_path / "folder.wabbit", "--model", tmp_path / "m.vw", *vw)
    assert done.returncode == 2 and f"{tmp_path / 'folder.wabbit'}: is a directory" in done.stderr, done.stderr
    done = wabbit("model", "pack", tmp_path / "new" / "r.wabbit", "--model", tmp_path / "m.vw", *vw)  # a missing folder is made
    assert done.returncode == 0 and json.loads(wabbit("model", "inspect", tmp_path / "new" / "r.wabbit").stdout)["name"] == "r"


def test_serve_replace_replaces_the_model_named_in_the_bundle(tmp_path: Path) -> None:
    """--replace without --name used to be ignored: the bundle's name is only known once it is read."""
    trained(tmp_path / "m.vw")
    bundle = tmp_path / "ratings.wabbit"
    assert wabbit("model", "pack", bundle, "--model", tmp_path / "m.vw", "--vw-arguments", "--oaa 3", "--model-version", "5").returncode == 0
    data = tmp_path / "data"
    assert wabbit("model", "serve", bundle, "--data-dir", data, "--no-run").returncode == 0
    again = wabbit("model", "serve", bundle, "--data-dir", data, "--no-run")
    assert again.returncode == 2 and "a model named 'ratings' exists already" in again.stderr, again.stderr
    replaced = wabbit("model", "serve", bundle, "--data-dir", data, "--no-run", "--replace")
    assert replaced.returncode == 0 and "model 'ratings' (vw) installed" in replaced.stderr, replaced.stderr
