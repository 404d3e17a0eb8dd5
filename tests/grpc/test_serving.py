"""``wabbit.v1.Serving`` on a real daemon: Decide (unary and streamed), Reward, Predict (every kind of prediction),
PredictStream, Learn (client-streamed), Statistics with per-RPC counts; the same calls over HTTP through the same
client; errors with the right status and a message that says what was wrong."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
import vowpalwabbit

from appliance.client import ClientError, Decide
from appliance.grpc import stubs
from appliance.models.base import ModelStatistics
from tests.grpc.conftest import GrpcDaemon

RATINGS = ["1 | sunny warm", "2 | rain cold", "3 | snow freezing", "1 | sunny hot", "2 | rain wet"]


@pytest.mark.parametrize("scheme", ["grpc", "http"])
def test_decide_reward_through_one_client_over_both_transports(daemon: GrpcDaemon, scheme: str) -> None:
    url = f"grpc://{daemon.target}" if scheme == "grpc" else daemon.running.base
    with daemon.client(url) as c:
        decision = c.decide({"user": {"young": 1.0}}, model="news")
        assert decision.action in ("sports", "politics") and set(decision.pmf) == {"sports", "politics"}
        assert abs(sum(decision.pmf.values()) - 1) < 1e-6 and decision.probability == decision.pmf[decision.action]
        assert c.reward(decision.event_id, 1.0, model="news").status == "accepted"
        mine = c.decide({"user": {"old": 1.0}}, actions=["politics"], event_id=f"mine-{scheme}", model="news")
        assert (mine.event_id, mine.action, mine.pmf) == (f"mine-{scheme}", "politics", {"politics": 1.0})
        many = c.decide_many([Decide({"user": {"young": 1.0}}, event_id=f"{scheme}-{i}") for i in range(40)], model="news")
        assert [d.event_id for d in many] == [f"{scheme}-{i}" for i in range(40)]
        with pytest.raises(ClientError) as unknown:
            c.reward("never-decided", 1.0, model="news")
        assert unknown.value.code == "NOT_FOUND" and "unknown event id 'never-decided'" in unknown.value.message
        with pytest.raises(ClientError) as wrong_kind:
            c.decide({"a": {"b": 1.0}}, model="ratings")
        assert wrong_kind.value.code == "FAILED_PRECONDITION" and "is a vw model" in wrong_kind.value.message
        with pytest.raises(ClientError) as bad:
            c.decide({"a b": {"x": 1.0}}, model="news")
        assert bad.value.code == "INVALID_ARGUMENT" and "context" in bad.value.message


def test_predict_learn_and_statistics_of_a_vw_model(daemon: GrpcDaemon) -> None:
    with daemon.client() as c:
        assert c.learn(RATINGS * 20, model="ratings") == 100  # one client stream of batches
        predictions = c.predict(["| snow", "| sunny"], model="ratings")
        assert [(p.type, p.value) for p in predictions] == [("multiclass", 3), ("multiclass", 1)]
        stats = c.statistics("ratings")
        assert stats.model.examples == 100 and stats.model.features == 300 and stats.model.nonzero_weights > 0
        assert stats.model.average_loss is not None and 0 <= stats.model.average_loss < 0.5
        learn = stats.rpcs["Learn"]
        assert learn["success"]["count"] == 1 and learn["items"] == 100 and learn["compute"]["ns"] > 0
        assert stats.rpcs["Predict"]["success"]["count"] == 1 and stats.rpcs["Predict"]["items"] == 2
        with pytest.raises(ClientError) as bad:
            c.predict(["| a", "   "], model="ratings")
        assert bad.value.code == "INVALID_ARGUMENT" and "example 1 is empty" in bad.value.message
        assert c.statistics("ratings").rpcs["Predict"]["fail"]["count"] == 1


@pytest.mark.parametrize(("arguments", "example", "kind"), [
    ("--loss_function logistic --link logistic", "| a b", "scalar"),
    ("--cb_explore_adf", "shared |s a\n|x b\n|x c", "action_probs"),
    ("--cb_adf", "shared |s a\n|x b\n|x c", "action_scores"),
    ("--csoaa 3", "1:0 2:1 3:1 | a", "multiclass"),
    ("--oaa 3 --probabilities --loss_function logistic", "| a", "scalars"),
])
def test_predict_any_vw_model_type(daemon: GrpcDaemon, arguments: str, example: str, kind: str) -> None:
    name = "t-" + kind.replace("_", "-")
    with daemon.client() as c:
        c.create_model(name, vw_arguments=arguments)
        try:
            (prediction,) = c.predict([example], model=name)
            assert prediction.type == kind
        finally:
            c.delete_model(name)


def predicted_100_times(daemon: GrpcDaemon, name: str) -> tuple[tuple[ModelStatistics, bytes], tuple[ModelStatistics, bytes]]:
    """A new ``--oaa 3`` model that learned 20 examples: its statistics and downloaded model before and after 100
    Predicts (labelled examples too, whose labels must be ignored)."""
    with daemon.client() as c:
        c.create_model(name, vw_arguments="--oaa 3")
        try:
            assert c.learn(RATINGS * 4, model=name) == 20
            before = c.statistics(name).model, c.download(name)[0]
            for i in range(100):
                (prediction,) = c.predict([RATINGS[i % 5] if i % 2 else "| snow freezing"], model=name)
                assert prediction.type == "multiclass"
            return before, (c.statistics(name).model, c.download(name)[0])
        finally:
            c.delete_model(name)


def weights(model: bytes, tmp_path: Path) -> list[dict[str, float]]:
    (tmp_path / "model.vw").write_bytes(model)
    workspace = vowpalwabbit.Workspace(f"--quiet -i {tmp_path / 'model.vw'}")
    try:
        found: list[dict[str, float]] = json.loads(workspace.json_weights())["weights"]
        return found
    finally:
        workspace.finish()


def test_predict_has_no_side_effects_on_the_counters_or_the_weights(daemon: GrpcDaemon, tmp_path: Path) -> None:
    # The issue: "Predict: raw VW examples -> the model's prediction ... with no side effects".
    (stats, data), (after, data_after) = predicted_100_times(daemon, "t-pure")
    assert stats.examples == after.examples == 20 and stats.weighted_examples == after.weighted_examples == 20
    assert (stats.sum_loss, stats.features, stats.nonzero_weights, stats.model_version) == (
        after.sum_loss, after.features, after.nonzero_weights, after.model_version)
    assert len(data_after) == len(data) and weights(data_after, tmp_path) == weights(data, tmp_path) != []


def test_predict_leaves_the_downloaded_model_byte_for_byte(daemon: GrpcDaemon) -> None:
    (_, data), (_, data_after) = predicted_100_times(daemon, "t-pure-bytes")
    assert data_after == data


def test_streams_answer_in_order_and_a_bad_message_ends_the_stream_with_its_status(daemon: GrpcDaemon) -> None:
    serving = stubs.serving()
    stub = serving.rpc.ServingStub(daemon.channel())
    pb = serving.pb
    requests = [pb.DecideRequest(model="news", event_id=f"s{i}", context={"u": pb.Namespace(features={"x": float(i)})}) for i in range(200)]
    answers = list(stub.DecideStream(iter(requests), metadata=daemon.metadata))
    assert [a.event_id for a in answers] == [f"s{i}" for i in range(200)]
    batches = [pb.PredictRequest(model="ratings", examples=["| snow"] * 50) for _ in range(10)]
    assert [len(a.predictions) for a in stub.PredictStream(iter(batches), metadata=daemon.metadata)] == [50] * 10
    broken = [*requests[:3], pb.DecideRequest(model="news", actions=["golf"])]
    got = []
    with pytest.raises(grpc.RpcError) as err:
        for answer in stub.DecideStream(iter([pb.DecideRequest(model="news", event_id=f"b{i}") for i in range(3)] + broken[3:]),
                                        metadata=daemon.metadata):
            got.append(answer.event_id)
    assert got == ["b0", "b1", "b2"] and err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "golf" in err.value.details()


def test_bad_calls_get_the_right_status(daemon: GrpcDaemon) -> None:
    serving = stubs.serving()
    stub, pb, md = serving.rpc.ServingStub(daemon.channel()), serving.pb, daemon.metadata
    cases = [
        (stub.Decide, pb.DecideRequest(model="nope"), grpc.StatusCode.NOT_FOUND, "no model 'nope'"),
        (stub.Predict, pb.PredictRequest(model="ratings", format=7, examples=["| a"]), grpc.StatusCode.INVALID_ARGUMENT, "format 7"),
        (stub.Predict, pb.PredictRequest(model="ratings", format=1, examples=["{}"]), grpc.StatusCode.INVALID_ARGUMENT, "reads VW text"),
        (stub.Predict, pb.PredictRequest(model="ratings", examples=["| a"] * 10_001), grpc.StatusCode.RESOURCE_EXHAUSTED, "at most 10000"),
        (stub.Predict, pb.PredictRequest(model="ratings", examples=["| " + "a" * 17_000_000]), grpc.StatusCode.RESOURCE_EXHAUSTED, "larger than"),
        (stub.Reward, pb.RewardRequest(model="news", event_id="e", value=float("nan")), grpc.StatusCode.INVALID_ARGUMENT, "reward"),
        (stub.Statistics, pb.StatisticsRequest(model="../x"), grpc.StatusCode.NOT_FOUND, "no model"),
    ]
    for method, request, code, message in cases:
        with pytest.raises(grpc.RpcError) as err:
            method(request, metadata=md)
        assert err.value.code() == code and message in err.value.details(), (request.ListFields()[:2], err.value.details())
    with pytest.raises(grpc.RpcError) as mixed:
        stub.Learn(iter([pb.LearnRequest(model="ratings", examples=["1 | a"]), pb.LearnRequest(model="news", examples=["1 | a"])]), metadata=md)
    assert mixed.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "the 1 examples before were learned" in mixed.value.details()


def test_learn_on_a_loop_model_takes_dsjson(daemon: GrpcDaemon) -> None:
    line = json.dumps({"EventId": "x1", "_label_cost": -1.0, "_label_probability": 0.5, "_labelIndex": 0, "_label_Action": 1,
                       "a": [1, 2], "p": [0.5, 0.5], "c": {"user": {"young": 1.0}, "_multi": [{"_id": "sports"}, {"_id": "politics"}]}})
    with daemon.client() as c:
        assert c.learn([line] * 30, fmt="dsjson", model="news") == 30
        s = c.statistics("news").model  # each learned event's cost (-reward) is its loss, as VW counts a bandit's
        assert s.weighted_examples == s.examples >= 30 and s.sum_loss <= -30 and s.average_loss == s.sum_loss / s.weighted_examples
        (pmf,) = c.predict([line], fmt="dsjson", model="news")
        assert pmf.type == "action_probs" and len(pmf.value) == 2


def test_decide_stream_takes_batches_beside_single_decisions(daemon: GrpcDaemon) -> None:
    serving = stubs.serving()
    stub, pb, md = serving.rpc.ServingStub(daemon.channel()), serving.pb, daemon.metadata

    def batch(prefix: str, n: int, **fields: object) -> object:
        return pb.DecideRequest(model="news", batch=[pb.DecideRequest(event_id=f"{prefix}{i}", context={"u": pb.Namespace(features={"x": float(i)})})
                                                     for i in range(n)], **fields)

    before = {c.rpc: c for c in stub.Statistics(pb.StatisticsRequest(model="news"), metadata=md).rpcs}.get("DecideStream")
    answers = list(stub.DecideStream(iter([batch("ba", 300), pb.DecideRequest(model="news", event_id="one"), batch("bb", 2)]), metadata=md))
    assert [len(a.batch) for a in answers] == [300, 0, 2] and answers[1].event_id == "one" and not answers[0].event_id
    assert [d.event_id for d in answers[0].batch] == [f"ba{i}" for i in range(300)] and [d.event_id for d in answers[2].batch] == ["bb0", "bb1"]
    assert all(d.action in ("sports", "politics") and abs(sum(p.probability for p in d.pmf) - 1) < 1e-6 for d in answers[0].batch)
    after = {c.rpc: c for c in stub.Statistics(pb.StatisticsRequest(model="news"), metadata=md).rpcs}["DecideStream"]
    assert after.items - (before.items if before else 0) == 303 and after.success.count - (before.success.count if before else 0) == 3
    with daemon.client() as c:  # each decision of a batch waits for its reward, as any other
        assert c.reward("ba299", 1.0, model="news").status == "accepted"
    refused = [  # each ends its stream before any decision of its batch is made
        (batch("bc", 3, event_id="own"), grpc.StatusCode.INVALID_ARGUMENT, "decides only its batch"),
        (pb.DecideRequest(model="news", batch=[pb.DecideRequest(event_id="bc0"),
                                               pb.DecideRequest(context={"u": pb.Namespace(features={"x": float("nan")})})]),
         grpc.StatusCode.INVALID_ARGUMENT, "batch item 1: context"),
        (pb.DecideRequest(model="news", batch=[pb.DecideRequest(model="ratings")]), grpc.StatusCode.INVALID_ARGUMENT, "batch item 0 names model"),
        (pb.DecideRequest(model="news", batch=[pb.DecideRequest(batch=[pb.DecideRequest()])]), grpc.StatusCode.INVALID_ARGUMENT, "do not nest"),
        (batch("bc", 1001), grpc.StatusCode.RESOURCE_EXHAUSTED, "at most 1000"),
    ]
    for request, code, message in refused:
        with pytest.raises(grpc.RpcError) as err:
            list(stub.DecideStream(iter([request]), metadata=md))
        assert err.value.code() == code and message in err.value.details(), err.value.details()
    with daemon.client() as c, pytest.raises(ClientError) as never_made:
        c.reward("bc0", 1.0, model="news")
    assert never_made.value.code == "NOT_FOUND"
    with pytest.raises(grpc.RpcError) as unary:
        stub.Decide(batch("bd", 2), metadata=md)
    assert unary.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "travels over DecideStream" in unary.value.details()
