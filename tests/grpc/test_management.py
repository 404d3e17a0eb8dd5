"""``wabbit.v1.Management`` on a real daemon: list, get, create, delete, download in chunks, upload in chunks (checked,
swapped atomically; a failed upload keeps the old model), save, versions, roll back."""

from __future__ import annotations

import hashlib
import json

import grpc
import pytest

from appliance.client import ClientError
from appliance.grpc import stubs
from tests.grpc.conftest import GrpcDaemon
from tests.grpc.test_serving import RATINGS


def test_models_are_listed_created_and_deleted(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        assert [(m.name, m.kind, m.ready) for m in c.models()] == [("default", "loop", True), ("news", "loop", True), ("ratings", "vw", True)]
        made = c.create_model("scratch", vw_arguments="--loss_function logistic")
        assert (made.name, made.kind, made.status["arguments"]) == ("scratch", "vw", "--loss_function logistic")
        for kwargs, code, message in (({"vw_arguments": "-q ab"}, "ALREADY_EXISTS", "exists already"),
                                      ({}, "INVALID_ARGUMENT", "give exactly one")):
            with pytest.raises(ClientError) as err:
                c.create_model("scratch", **kwargs)
            assert err.value.code == code and message in err.value.message
        with pytest.raises(ClientError) as err:
            c.create_model("x", vw_arguments="--oaa 3 --daemon")
        assert err.value.code == "INVALID_ARGUMENT" and "--daemon touches files" in err.value.message
        for arguments, message in (("--lrq ab é", "it crashed: SIGSEGV"), ("--oaa 3 --bogus", "unrecognised option '--bogus'"),
                                   ("--oaa {reason} }{", "Failed to convert")):
            with pytest.raises(ClientError) as err:  # VW crashes making a workspace from the first: the daemon must not
                c.create_model("x", vw_arguments=arguments)
            assert err.value.code == "INVALID_ARGUMENT" and message in err.value.message, err.value.message
        c.delete_model("scratch")
        assert "scratch" not in [m.name for m in c.models()]
        with pytest.raises(ClientError) as err:
            c.delete_model("default")
        assert err.value.code == "INVALID_ARGUMENT" and "cannot be deleted" in err.value.message


def test_download_upload_save_versions_rollback(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        c.learn(RATINGS * 20, model="ratings")
        data, first = c.download("ratings")
        assert hashlib.sha256(data).hexdigest() == first.sha256 and first.size == len(data) > 0
        c.learn(["2 | snow"] * 50, model="ratings")
        assert c.predict(["| snow"], model="ratings")[0].value == 2
        saved = c.save("ratings")
        assert saved.version == first.version + 50 and c.versions("ratings")[0] == saved
        back = c.rollback(first.version, model="ratings")
        assert back.version == saved.version + 1 and back.sha256 == first.sha256  # a new version, above the others
        assert (saved.origin, saved.source_version) == ("", None)  # learned to
        assert (back.origin, back.source_version) == ("rollback", first.version)  # kept: which version it rolled back to
        assert c.predict(["| snow"], model="ratings")[0].value == 3
        uploaded = c.upload(data, model="ratings", model_version=back.version + 100)  # above the others: runs as asked
        assert uploaded.version == back.version + 100 and c.versions("ratings")[0] == uploaded
        assert (uploaded.origin, uploaded.source_version) == ("upload", back.version + 100)
        assert c.statistics("ratings").model.model_version == uploaded.version
        assert c.save("ratings") == uploaded and [v.version for v in c.versions("ratings")].count(uploaded.version) == 1  # saved already
        with pytest.raises(ClientError) as err:
            c.rollback(12345, model="ratings")
        assert err.value.code == "INVALID_ARGUMENT" and "has no saved version 12345" in err.value.message


def test_a_loop_model_saved_again_with_nothing_learned_lists_its_version_once(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        saved = c.save("news")
        assert c.save("news") == saved and c.download("news")[1] == saved
        assert [v.version for v in c.versions("news")].count(saved.version) == 1
        uploaded = c.upload(c.download("news")[0], model="news", model_version=9)  # swapped in: a version of its own
        assert c.versions("news")[:2] == [uploaded, saved] and c.save("news") == uploaded
        assert [v.version for v in c.versions("news")] == [9, saved.version]
        assert [(v.origin, v.source_version) for v in c.versions("news")[:2]] == [("upload", 9), ("", None)]


def test_a_rolled_back_model_has_the_statistics_of_its_version(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        c.create_model("t-rollback", vw_arguments="--oaa 3")
        try:
            c.learn(RATINGS * 4, model="t-rollback")
            _, first = c.download("t-rollback")
            learned = c.statistics("t-rollback").model
            assert (learned.examples, learned.weighted_examples) == (20, 20) and learned.sum_loss > 0
            c.learn(["2 | snow"] * 50, model="t-rollback")
            assert c.statistics("t-rollback").model.weighted_examples == 70
            assert c.rollback(first.version, model="t-rollback").version == 71  # a new version, above the others
            back = c.statistics("t-rollback").model
            assert (back.model_version, back.examples, back.weighted_examples, back.sum_loss, back.average_loss, back.features) == (
                71, 20, 20, learned.sum_loss, learned.average_loss, learned.features)
            c.learn(RATINGS, model="t-rollback")  # learning goes on from the version's counters
            assert c.statistics("t-rollback").model.weighted_examples == 25
        finally:
            c.delete_model("t-rollback")


def test_a_failed_upload_keeps_the_old_model(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        c.learn(RATINGS * 10, model="ratings")
        before = c.predict(["| snow", "| sunny", "| rain"], model="ratings")
        versions = c.versions("ratings")
        other, _ = c.download("news")  # a contextual-bandit model: another prediction type
        for data, message in ((b"not a model at all, just bytes", "cannot serve this model"), (other, "cannot serve this model")):
            with pytest.raises(ClientError) as err:
                c.upload(data, model="ratings")
            assert err.value.code == "INVALID_ARGUMENT" and message in err.value.message, err.value.message
        assert c.predict(["| snow", "| sunny", "| rain"], model="ratings") == before and c.versions("ratings") == versions

    management = stubs.management()
    stub, pb = management.rpc.ManagementStub(daemon.channel()), management.pb
    with daemon.client() as c:
        good, _ = c.download("ratings")  # a new version, saved now
        versions = c.versions("ratings")
    for chunks, message in (
        ([pb.ModelChunk(model="ratings", data=good[:100], sha256=hashlib.sha256(good).hexdigest())], "cut short"),
        ([pb.ModelChunk(model="ratings", data=good)], "declare the model's SHA-256"),
        ([], "the upload held no model"),
    ):
        with pytest.raises(grpc.RpcError) as rpc_err:
            stub.Upload(iter(chunks), metadata=daemon.metadata)
        assert rpc_err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and message in rpc_err.value.details()
    with daemon.client() as c:
        assert c.versions("ratings") == versions
    info = stub.GetModel(pb.ModelRef(model="news"), metadata=daemon.metadata)
    assert info.kind == "loop" and json.loads(info.status_json)["state"] == "running"
