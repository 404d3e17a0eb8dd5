"""``Management.Upload`` and ``PUT /api/models/{name}/model`` of a bundle (``wabbit model pack``): served with the bundle's
VW arguments as a new model or a new version of one; a corrupt, cut or mismatched bundle is refused with the reason and
the model served before goes on."""

from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import grpc
import pytest
import vowpalwabbit
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.client import ClientError
from appliance.grpc import stubs
from appliance.models.bundle import pack_bundle
from tests.api.test_model_bundles import rewritten
from tests.grpc.conftest import GrpcDaemon
from tests.grpc.test_fuzz import FUZZ, no_internal_errors

ARGUMENTS = "--oaa 3 --loss_function logistic"
WEATHER = ["1 | sunny warm", "2 | rain cold", "3 | snow freezing"]
ASKED = ["| snow", "| sunny", "| rain"]


def packed(work: Path, name: str, version: int, repeats: int = 30, arguments: str = ARGUMENTS) -> tuple[Path, list[int]]:
    """A bundle of a model trained on ``repeats`` rounds of WEATHER, and its predictions of ASKED."""
    ws = vowpalwabbit.Workspace(f"{arguments} --quiet")
    for line in WEATHER * repeats:
        ws.learn(line)
    model = work / f"{name}-{version}.vw"
    ws.save(str(model))
    predictions = [int(ws.predict(x)) for x in ASKED]
    ws.finish()
    bundle = work / f"{name}-{version}.wabbit"
    pack_bundle(bundle, model, name, vw_arguments=arguments, model_version=version)
    return bundle, predictions


def test_an_uploaded_bundle_serves_with_its_vw_arguments(daemon: GrpcDaemon, tmp_path: Path) -> None:
    first, predicted = packed(tmp_path, "weather", 12)
    with daemon.client() as c:
        version = c.upload(first.read_bytes(), bundle=True)  # no model named: the bundle's own name
        assert version.version == 12 and c.versions("weather")[0] == version
        assert (version.origin, version.source_version) == ("bundle", 12)  # its packed version, kept in the list
        info = next(m for m in c.models() if m.name == "weather")
        assert (info.kind, info.status["arguments"]) == ("vw", ARGUMENTS)
        assert [p.value for p in c.predict(ASKED, model="weather")] == predicted
        assert c.statistics("weather").model.model_version == 12

        second, predicted_again = packed(tmp_path, "weather", 40, repeats=3)
        assert c.upload(second.read_bytes(), model="weather", bundle=True).version == 40  # a new version of the same model
        assert [v.version for v in c.versions("weather")][:2] == [40, 12]
        assert [p.value for p in c.predict(ASKED, model="weather")] == predicted_again

        other, _ = packed(tmp_path, "other", 3, arguments="--oaa 3")
        with pytest.raises(ClientError) as err:
            c.upload(other.read_bytes(), model="weather", bundle=True)
        assert err.value.code == "ALREADY_EXISTS"
        assert f"runs VW arguments {ARGUMENTS!r}; the bundle's model needs VW arguments '--oaa 3'" in err.value.message
        assert c.versions("weather")[0].version == 40

    with daemon.client(daemon.running.base) as http:  # the same path over HTTP
        assert http.upload(first.read_bytes(), model="weather-http", bundle=True).version == 12
        assert [p.value for p in http.predict(ASKED, model="weather-http")] == predicted
        again = http.upload(first.read_bytes(), bundle=True)  # no model named: the bundle's own, as over gRPC
        assert (again.version, again.origin, http.versions("weather")[0].version) == (41, "bundle", 41)


def test_a_served_bundle_counts_the_examples_its_model_learned(daemon: GrpcDaemon, tmp_path: Path) -> None:
    """Three examples learned in pyvw, packed as version 12: Statistics gives 3 examples (VW's count, kept in the
    file) beside 3 weighted ones, not the version; they stay so across a save, learning and a rollback."""
    bundle, _ = packed(tmp_path, "three", 12, repeats=1)
    with daemon.client() as c:
        try:
            assert c.upload(bundle.read_bytes(), bundle=True).version == 12
            served = c.statistics("three").model
            assert (served.model_version, served.examples, served.weighted_examples) == (12, 3, 3.0)
            c.learn(WEATHER, model="three")
            learned = c.statistics("three").model
            assert (learned.model_version, learned.examples, learned.weighted_examples) == (15, 6, 6.0)
            assert c.rollback(12, model="three").version == 16  # a new version, above the others
            assert (c.statistics("three").model.examples, c.statistics("three").model.weighted_examples) == (3, 3.0)
        finally:
            c.delete_model("three")


def test_an_upload_runs_as_a_version_above_every_version_the_model_had(daemon: GrpcDaemon, tmp_path: Path) -> None:
    """A model at version 2 takes a bundle packed as version 0 (gRPC), a plain file asking for version 1 (HTTP) and a
    rollback: each runs as a new version above the others, so every number names one version."""
    bundle, predicted = packed(tmp_path, "t-up", 0)
    with daemon.client() as c, daemon.client(daemon.running.base) as http:
        c.create_model("t-up", vw_arguments=ARGUMENTS)
        try:
            c.learn(WEATHER[:2], model="t-up")
            plain, two = c.download("t-up")
            assert two.version == 2
            assert c.upload(bundle.read_bytes(), model="t-up", bundle=True).version == 3
            assert [p.value for p in c.predict(ASKED, model="t-up")] == predicted
            c.learn(WEATHER[:1], model="t-up")
            assert c.save("t-up").version == 4
            assert http.upload(plain, model="t-up", model_version=1).version == 5
            assert c.rollback(3, model="t-up").version == 6
            assert [p.value for p in c.predict(ASKED, model="t-up")] == predicted
            assert [v.version for v in c.versions("t-up")] == [6, 5, 4, 3, 2]
            # where each came from, over gRPC and HTTP alike: the version it asked for is kept beside the one it runs as
            expected = [("rollback", 3), ("upload", 1), ("", None), ("bundle", 0), ("", None)]
            assert [(v.origin, v.source_version) for v in c.versions("t-up")] == expected
            assert [(v.origin, v.source_version) for v in http.versions("t-up")] == expected
        finally:
            c.delete_model("t-up")


def test_a_bad_bundle_is_refused_with_the_reason_and_the_old_model_serves(daemon: GrpcDaemon, tmp_path: Path) -> None:
    good, predicted = packed(tmp_path, "storm", 7)
    data = good.read_bytes()
    with tarfile.open(good) as tar:
        model = tar.getmember("model.vw")
        model_bytes = tar.extractfile(model).read()  # type: ignore[union-attr]
    flipped = bytearray(model_bytes)
    flipped[len(flipped) // 2] ^= 0xFF
    cases = {
        "cut short": (data[:model.offset_data + model.size // 2], "the uploaded bundle: not a model bundle, or one cut short"),
        "corrupt": (rewritten(good, tmp_path / "corrupt.wabbit", {"model.vw": bytes(flipped)}).read_bytes(),
                    "as its manifest says: the bundle is corrupt"),
        "junk": (b"no tar archive at all" * 50, "the uploaded bundle: not a model bundle"),
        "newer VW": (rewritten(good, tmp_path / "newer.wabbit", {"manifest.json": _manifest(good, vw_version="9.99.0")}).read_bytes(),
                     "newer than this appliance's"),
    }
    with daemon.client() as c:
        assert c.upload(data, model="storm", bundle=True).version == 7
        versions = c.versions("storm")
        for what, (bad, message) in cases.items():
            for name in ("storm", "fresh"):  # the model served goes on; a new name gets no model
                with pytest.raises(ClientError) as err:
                    c.upload(bad, model=name, bundle=True)
                assert err.value.code == "INVALID_ARGUMENT" and message in err.value.message, (what, err.value.message)
        with pytest.raises(ClientError) as err:
            c.upload(data, model="storm")  # a bundle sent as a model file
        assert err.value.code == "INVALID_ARGUMENT" and "upload it as a bundle" in err.value.message
        with pytest.raises(ClientError) as err:
            c.upload(data, model="storm", model_version=9, bundle=True)
        assert err.value.code == "INVALID_ARGUMENT" and "asks for the version packed in it" in err.value.message
        assert c.versions("storm") == versions and [p.value for p in c.predict(ASKED, model="storm")] == predicted
        assert "fresh" not in [m.name for m in c.models()]

    management = stubs.management()
    stub, pb = management.rpc.ManagementStub(daemon.channel()), management.pb
    with pytest.raises(grpc.RpcError) as rpc_err:  # the bundle's own checksum is declared like a model file's
        stub.Upload(iter([pb.ModelChunk(model="storm", data=data[:2048], sha256="0" * 64, bundle=True)]), metadata=daemon.metadata)
    assert rpc_err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "cut short on its way" in rpc_err.value.details()


json_values = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)
FIELDS = ["format", "name", "kind", "vw_arguments", "config_yaml", "model_version", "sha256", "size", "vw_version", "created", "extra"]


@settings(FUZZ, max_examples=25)
@given(changed=st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=3), raw=st.none() | st.binary(max_size=60))
def test_a_fuzzed_manifest_is_refused_with_a_reason(daemon: GrpcDaemon, tmp_path_factory: pytest.TempPathFactory,
                                                    changed: dict[str, object], raw: bytes | None) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    good = work / "good.wabbit"
    model = work / "m.vw"
    ws = vowpalwabbit.Workspace("--oaa 3 --quiet")
    ws.save(str(model))
    ws.finish()
    pack_bundle(good, model, "fuzzed", vw_arguments="--oaa 3", model_version=1)
    manifest = raw if raw is not None else _manifest(good, **changed)
    data = rewritten(good, work / "fuzzed.wabbit", {"manifest.json": manifest}).read_bytes()
    management = stubs.management()
    chunk = management.pb.ModelChunk(model="fuzzed", data=data, sha256=hashlib.sha256(data).hexdigest(), bundle=True)
    no_internal_errors(lambda: management.rpc.ManagementStub(daemon.channel()).Upload(iter([chunk]), metadata=daemon.metadata))


def _manifest(bundle: Path, **changed: object) -> bytes:
    """The bundle's manifest with some fields changed."""
    with tarfile.open(bundle) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    return json.dumps({**manifest, **changed}).encode()
