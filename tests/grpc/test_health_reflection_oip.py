"""What generic tools see: gRPC health (one status per model, no token needed, all listed at once), server
reflection (the services listed, and a call made from reflected descriptors alone, as grpcurl does), and the Open Inference Protocol v2."""

from __future__ import annotations

import json
import struct
import time

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from appliance.grpc import stubs
from tests.grpc.conftest import GrpcDaemon

SERVING = health_pb2.HealthCheckResponse.SERVING


def health(daemon: GrpcDaemon, service: str) -> int:
    try:
        return int(health_pb2_grpc.HealthStub(daemon.channel()).Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status)
    except grpc.RpcError as err:
        assert err.code() == grpc.StatusCode.NOT_FOUND, err
        return -1


def eventually(check: object, want: object, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while (got := check()) != want:  # type: ignore[operator]
        assert time.monotonic() < deadline, f"still {got!r}, not {want!r}"
        time.sleep(0.1)


def test_health_has_one_status_per_model(daemon: GrpcDaemon) -> None:
    for service in ("", "default", "news", "ratings", "wabbit.v1.Serving", "inference.GRPCInferenceService"):
        assert health(daemon, service) == SERVING, service
    assert health(daemon, "no-such-model") == -1
    listed = health_pb2_grpc.HealthStub(daemon.channel()).List(health_pb2.HealthListRequest(), timeout=5).statuses
    assert {name: int(s.status) for name, s in listed.items()} == {
        name: health(daemon, name) for name in listed} and {"", "default", "news", "ratings", "wabbit.v1.Serving"} <= set(listed)
    with daemon.client() as c:
        c.create_model("passing", vw_arguments="--oaa 2")
        eventually(lambda: health(daemon, "passing"), SERVING)
        c.delete_model("passing")
        eventually(lambda: health(daemon, "passing"), health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)


def test_reflection_lists_the_services_and_a_call_needs_nothing_else(daemon: GrpcDaemon) -> None:
    channel = daemon.channel()
    database = ProtoReflectionDescriptorDatabase(channel)
    assert set(database.get_services()) >= {"wabbit.v1.Serving", "wabbit.v1.Management", "inference.GRPCInferenceService",
                                            "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
    pool = descriptor_pool.DescriptorPool(database)  # the descriptors as the server sends them, not this process's stubs
    method = pool.FindServiceByName("wabbit.v1.Serving").methods_by_name["Predict"]
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary("/wabbit.v1.Serving/Predict", request_serializer=lambda m: m.SerializeToString(),
                               response_deserializer=response_class.FromString)
    answer = call(request_class(model="ratings", examples=["| snow"]), metadata=daemon.metadata)
    assert answer.predictions[0].type == "multiclass" and len(answer.predictions[0].values) == 1


def test_open_inference_protocol(daemon: GrpcDaemon) -> None:
    inference = stubs.inference()
    stub, pb, md = inference.rpc.GRPCInferenceServiceStub(daemon.channel()), inference.pb, daemon.metadata
    with daemon.client() as c:
        c.learn(["1 | sunny warm", "3 | snow freezing"] * 30, model="ratings")
    assert stub.ServerLive(pb.ServerLiveRequest(), metadata=md).live
    assert stub.ServerReady(pb.ServerReadyRequest(), metadata=md).ready
    assert stub.ModelReady(pb.ModelReadyRequest(name="ratings"), metadata=md).ready
    meta = stub.ServerMetadata(pb.ServerMetadataRequest(), metadata=md)
    assert meta.name == "raspberry-wabbit" and meta.version
    model = stub.ModelMetadata(pb.ModelMetadataRequest(name="ratings"), metadata=md)
    assert model.platform == "vowpal_wabbit_vw" and [(t.name, t.datatype) for t in model.inputs] == [("examples", "BYTES")]

    tensor = pb.ModelInferRequest.InferInputTensor
    request = pb.ModelInferRequest(model_name="ratings", id="r1", inputs=[tensor(
        name="examples", datatype="BYTES", shape=[2], contents=pb.InferTensorContents(bytes_contents=[b"| snow", b"| sunny"]))])
    answer = stub.ModelInfer(request, metadata=md)
    outputs = {o.name: o for o in answer.outputs}
    assert answer.id == "r1" and list(outputs["prediction"].shape) == [2] and list(outputs["prediction"].contents.fp64_contents) == [3.0, 1.0]
    assert [json.loads(b) for b in outputs["prediction_json"].contents.bytes_contents] == [
        {"type": "multiclass", "value": 3}, {"type": "multiclass", "value": 1}]

    raw = b"".join(struct.pack("<I", len(e)) + e for e in (b"| snow", b"| snow"))
    only = pb.ModelInferRequest(model_name="ratings", inputs=[tensor(name="examples", datatype="BYTES", shape=[2])], raw_input_contents=[raw],
                                outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(name="prediction")])
    (output,) = stub.ModelInfer(only, metadata=md).outputs
    assert output.name == "prediction" and list(output.contents.fp64_contents) == [3.0, 3.0]

    for bad, code, message in (
        (pb.ModelInferRequest(model_name="nope"), grpc.StatusCode.NOT_FOUND, "no model 'nope'"),
        (pb.ModelInferRequest(model_name="ratings"), grpc.StatusCode.INVALID_ARGUMENT, "send one input tensor"),
        (pb.ModelInferRequest(model_name="ratings", inputs=[tensor(name="x", datatype="FP32", shape=[1])]), grpc.StatusCode.INVALID_ARGUMENT,
         "VW examples travel as a BYTES tensor"),
        (pb.ModelInferRequest(model_name="ratings", inputs=[tensor(name="x", datatype="BYTES", shape=[3])], raw_input_contents=[raw[:-2]]),
         grpc.StatusCode.INVALID_ARGUMENT, "raw BYTES tensor"),
        (pb.ModelInferRequest(model_name="ratings", inputs=[tensor(name="x", datatype="BYTES", shape=[1], contents=pb.InferTensorContents(
            bytes_contents=[b"| a"]))], outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(name="logits")]),
         grpc.StatusCode.INVALID_ARGUMENT, "no output 'logits'"),
    ):
        with pytest.raises(grpc.RpcError) as err:
            stub.ModelInfer(bad, metadata=md)
        assert err.value.code() == code and message in err.value.details(), err.value.details()
