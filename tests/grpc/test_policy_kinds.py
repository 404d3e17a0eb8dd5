"""A loop model whose policy is not VW (``linucb``, ``uniform``), as gRPC clients meet it: statistics that do not
claim VW's counts, OIP metadata that names its policy and offers no VW input, raw examples refused naming the kind."""

from __future__ import annotations

from typing import Iterator

import grpc
import pytest

from appliance.client import ClientError
from appliance.grpc import stubs
from tests.grpc.conftest import GrpcDaemon

KINDS = ("linucb", "uniform")


def loop_config(kind: str) -> str:
    return f"simulation: null\njoin: {{reward_wait_s: 30}}\npolicy:\n  type: {kind}\n  actions: [{{id: sports}}, {{id: politics}}]\n"


@pytest.fixture(scope="module")
def kinds(daemon: GrpcDaemon) -> Iterator[GrpcDaemon]:
    with daemon.client() as c:
        for kind in KINDS:
            c.create_model(kind, config_yaml=loop_config(kind))
            for _ in range(3):
                c.reward(c.decide({"user": {"age": 0.3}}, model=kind).event_id, 1.0, model=kind)
    yield daemon
    with daemon.client() as c:
        for kind in KINDS:
            c.delete_model(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_statistics_of_a_non_vw_policy_count_no_vw_weights(kinds: GrpcDaemon, kind: str) -> None:
    with kinds.client() as c:
        stats = c.statistics(model=kind).model
    assert stats.features is None
    assert stats.nonzero_weights is None, f"{kind} has no VW weights to count, yet Statistics says {stats.nonzero_weights}"
    with kinds.running.client() as http:
        answer = http.get(f"/api/models/{kind}/statistics")
    assert answer.status_code == 200 and answer.json()["nonzero_weights"] is None, answer.text


@pytest.mark.parametrize("kind", KINDS)
def test_oip_metadata_names_the_policy_and_predict_names_the_kind(kinds: GrpcDaemon, kind: str) -> None:
    oip = stubs.inference()
    infer, pb = oip.rpc.GRPCInferenceServiceStub(kinds.channel()), oip.pb
    meta = infer.ModelMetadata(pb.ModelMetadataRequest(name=kind), metadata=kinds.metadata, timeout=10)
    assert meta.platform == f"raspberry_wabbit_{kind}" and not meta.inputs and not meta.outputs, meta
    vw = infer.ModelMetadata(pb.ModelMetadataRequest(name="news"), metadata=kinds.metadata, timeout=10)
    assert vw.platform == "vowpal_wabbit_loop" and [t.name for t in vw.inputs] == ["examples"]
    examples = pb.ModelInferRequest.InferInputTensor(name="examples", datatype="BYTES", shape=[1],
                                                     contents=pb.InferTensorContents(bytes_contents=[b"shared |u a:1\n|a x"]))
    with pytest.raises(grpc.RpcError) as err:
        infer.ModelInfer(pb.ModelInferRequest(model_name=kind, inputs=[examples]), metadata=kinds.metadata, timeout=10)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION and f"policy.type {kind}" in str(err.value.details())
    with kinds.client() as c, pytest.raises(ClientError) as refused:
        c.predict(["shared |u a:1\n|a x"], model=kind)
    assert refused.value.code == "FAILED_PRECONDITION" and f"policy.type {kind}" in str(refused.value)
