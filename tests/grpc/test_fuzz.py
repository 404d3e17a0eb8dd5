"""A hypothesis fuzz over every RPC of the gRPC API with well-formed messages of arbitrary content: no call ends
INTERNAL or UNKNOWN (every refusal has its status and message), and the server and its models serve on unharmed."""

from __future__ import annotations

import hashlib
from typing import Any, Callable

import grpc
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appliance.grpc import stubs
from tests.grpc.conftest import GrpcDaemon

BAD = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE}  # UNAVAILABLE: the daemon died
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# vw models beside the fixture's: the reductions whose readers and learners trust their input (tests/grpc/test_hostile_examples.py)
VW_MODELS = {"dsj": "--cb_explore_adf --dsjson", "ccb": "--ccb_explore_adf", "slates": "--slates --dsjson", "ldf": "--csoaa_ldf m"}
KEPT = {"default", "ratings", "news", *VW_MODELS}

models = st.sampled_from(["", "default", "ratings", "news", "nope", "../etc", "RATINGS", *VW_MODELS]) | st.text(max_size=70)
names = st.text(st.characters(codec="utf-8"), max_size=80) | st.sampled_from(["user", "a b", "_x", "|", ":", "é"])
values = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 1e300, -1e300])
contexts = st.dictionaries(names, st.dictionaries(names, values, max_size=4), max_size=3)
scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.sampled_from(["", "x", "1"])
keys = st.sampled_from(["c", "_multi", "_slots", "_slot_id", "_outcomes", "_a", "_p", "_label_cost", "_labelIndex", "_inc", "a", "p",
                        "_text", "_tag", "EventId", "pdrop", "_skipLearn", "s", "x"])
dsjson = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=12)
slotted = st.lists(st.sampled_from(["ccb shared |u a", "ccb action |x b", "ccb slot 0:1:0.5 |s c", "ccb slot |s d", "slates shared 1 |u a",
                                    "slates action 0 |x b", "slates slot 0:1 |s c", "shared |u a", " |x b", "1:0.5 |x c"]),
                   min_size=1, max_size=5).map("\n".join)
example = (st.text(max_size=200) | dsjson.map(lambda v: orjson.dumps(v).decode()) | slotted
           | st.sampled_from(["| a", "1 | a b", "shared |s a\n|x b\n|x c", "2:0.5 | a:nan", "{}", '{"c": {}}', '{"c": 1}',
                              "|a a:1e400", "1:2:3 |", "\n\n\n", "|" * 50, "shared |s a\n0:1:0.5 |x a\n0:1:0.5 |x b"]))
examples = st.lists(example, max_size=6)


def no_internal_errors(call: Callable[[], Any]) -> None:
    try:
        result = call()
        if hasattr(result, "__iter__") and not hasattr(result, "ListFields"):
            list(result)  # a server stream: read it all
    except grpc.RpcError as err:
        assert err.code() not in BAD, (err.code(), err.details())
        assert err.details(), err.code()  # every refusal says what was wrong


@pytest.fixture(scope="module")
def api(daemon: GrpcDaemon) -> tuple[Any, Any, Any, Any, Any, Any, tuple[tuple[str, str], ...]]:
    channel = daemon.channel()
    with daemon.client() as c:
        for name, arguments in VW_MODELS.items():
            c.create_model(name, vw_arguments=arguments)
    s, m, i = stubs.serving(), stubs.management(), stubs.inference()
    return (s.rpc.ServingStub(channel), s.pb, m.rpc.ManagementStub(channel), m.pb, i.rpc.GRPCInferenceServiceStub(channel), i.pb,
            daemon.metadata)


@FUZZ
@given(model=models, context=contexts, actions=st.lists(names, max_size=3), event_id=names, value=values, fmt=st.integers(-2, 3),
       batch=examples, stream=st.lists(examples, max_size=3))
def test_serving(api: Any, model: str, context: Any, actions: list[str], event_id: str, value: float, fmt: int, batch: list[str],
                 stream: list[list[str]]) -> None:
    stub, pb, _, _, _, _, md = api
    decide = pb.DecideRequest(model=model, context={ns: pb.Namespace(features=f) for ns, f in context.items()}, actions=actions,
                              event_id=event_id)
    no_internal_errors(lambda: stub.Decide(decide, metadata=md))
    no_internal_errors(lambda: stub.DecideStream(iter([decide, decide]), metadata=md))
    no_internal_errors(lambda: stub.Reward(pb.RewardRequest(model=model, event_id=event_id, value=value, reward_id=event_id), metadata=md))
    no_internal_errors(lambda: stub.Predict(pb.PredictRequest(model=model, format=fmt, examples=batch), metadata=md))
    no_internal_errors(lambda: stub.PredictStream(iter([pb.PredictRequest(model=model, format=fmt, examples=b) for b in stream]), metadata=md))
    no_internal_errors(lambda: stub.Learn(iter([pb.LearnRequest(model=model, format=fmt, examples=b) for b in stream or [batch]]), metadata=md))
    no_internal_errors(lambda: stub.Statistics(pb.StatisticsRequest(model=model), metadata=md))


@FUZZ
@given(model=models, name=names, arguments=st.lists(st.sampled_from(["--oaa", "3", "-q", "ab", "--cb_explore_adf", "--csoaa", "-b", "40",
                                                                       "--l2", "nan", "--daemon", "-f", "x", "--bfgs", "--lrq", "ab0"]) | names,
                                                     max_size=4).map(" ".join),
       config=st.text(max_size=100) | st.sampled_from(["policy: {actions: [{id: a}]}\n", "simulation: null\n", "policy: [\n"]),
       version=st.integers(-2**63, 2**63 - 1))
def test_management(api: Any, model: str, name: str, arguments: str, config: str, version: int) -> None:
    _, _, stub, pb, _, _, md = api
    for made in (pb.CreateModelRequest(name=name, vw_arguments=arguments), pb.CreateModelRequest(name=name, config_yaml=config),
                 pb.CreateModelRequest(name="fuzzed", vw_arguments=arguments)):
        no_internal_errors(lambda: stub.CreateModel(made, metadata=md))
        if made.name not in KEPT:
            no_internal_errors(lambda: stub.DeleteModel(pb.DeleteModelRequest(name=made.name), metadata=md))
    if model not in KEPT:  # the fixture's models stay, to be checked at the end
        no_internal_errors(lambda: stub.DeleteModel(pb.DeleteModelRequest(name=model), metadata=md))
    no_internal_errors(lambda: stub.GetModel(pb.ModelRef(model=model), metadata=md))
    no_internal_errors(lambda: stub.Versions(pb.ModelRef(model=model), metadata=md))
    no_internal_errors(lambda: stub.Rollback(pb.RollbackRequest(model=model, version=version), metadata=md))
    no_internal_errors(lambda: stub.ListModels(pb.ListModelsRequest(), metadata=md))


@settings(FUZZ, max_examples=6)
@given(model=models, data=st.binary(max_size=2000), right_digest=st.booleans(), version=st.integers(-2**63, 2**63 - 1),
       set_version=st.booleans(), bundle=st.booleans())
def test_upload_and_download(api: Any, model: str, data: bytes, right_digest: bool, version: int, set_version: bool, bundle: bool) -> None:
    _, _, stub, pb, _, _, md = api
    digest = hashlib.sha256(data).hexdigest() if right_digest else data[:10].hex()
    chunk = pb.ModelChunk(model=model, data=data, sha256=digest, set_version=set_version, version=pb.ModelVersion(version=version),
                          bundle=bundle)
    no_internal_errors(lambda: stub.Upload(iter([chunk, pb.ModelChunk(data=data)]), metadata=md))
    no_internal_errors(lambda: stub.Download(pb.ModelRef(model=model), metadata=md))
    no_internal_errors(lambda: stub.Save(pb.ModelRef(model=model), metadata=md))


@FUZZ
@given(model=models, datatype=st.sampled_from(["BYTES", "FP32", "", "bytes"]) | st.text(max_size=8),
       shape=st.lists(st.integers(-3, 2**40), max_size=3), elements=st.lists(st.binary(max_size=60) | example.map(str.encode), max_size=4),
       raw=st.lists(st.binary(max_size=40), max_size=2),
       fmt=st.sampled_from(["text", "dsjson", ""]) | st.text(max_size=8),
       outputs=st.lists(st.sampled_from(["prediction", "prediction_json", "x"]), max_size=3))
def test_open_inference(api: Any, model: str, datatype: str, shape: list[int], elements: list[bytes], raw: list[bytes], fmt: str,
                        outputs: list[str]) -> None:
    _, _, _, _, stub, pb, md = api
    tensor = pb.ModelInferRequest.InferInputTensor(name="examples", datatype=datatype, shape=shape,
                                                   contents=pb.InferTensorContents(bytes_contents=elements))
    request = pb.ModelInferRequest(model_name=model, inputs=[tensor], raw_input_contents=raw,
                                   parameters={"format": pb.InferParameter(string_param=fmt)},
                                   outputs=[pb.ModelInferRequest.InferRequestedOutputTensor(name=o) for o in outputs])
    no_internal_errors(lambda: stub.ModelInfer(request, metadata=md))
    no_internal_errors(lambda: stub.ModelReady(pb.ModelReadyRequest(name=model), metadata=md))
    no_internal_errors(lambda: stub.ModelMetadata(pb.ModelMetadataRequest(name=model), metadata=md))


def test_the_models_serve_on_after_the_fuzz(daemon: GrpcDaemon, api: Any) -> None:
    with daemon.client() as c:
        assert KEPT <= {m.name for m in c.models()}
        line = orjson.dumps({"c": {"u": {"a": 1}, "_multi": [{"x": {"b": 1}}, {"x": {"c": 1}}]}}).decode()
        assert c.predict([line], "dsjson", model="dsj")[0].type == "action_probs"
        assert c.learn(["1 | a", "2 | b"], model="ratings") == 2 and c.predict(["| a"], model="ratings")[0].type == "multiclass"
        assert c.decide({"user": {"young": 1.0}}, model="news").action in ("sports", "politics")


def methods() -> list[tuple[str, bool, bool]]:
    """Every RPC of the project's services: (path, client streaming, server streaming)."""
    found = []
    for loaded, service in ((stubs.serving(), "Serving"), (stubs.management(), "Management"), (stubs.inference(), "GRPCInferenceService")):
        descriptor = loaded.pb.DESCRIPTOR.services_by_name[service]
        found += [(f"/{descriptor.full_name}/{m.name}", m.client_streaming, m.server_streaming) for m in descriptor.methods]
    return found


@settings(FUZZ, max_examples=15)
@given(garbage=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=3))
def test_bytes_that_are_no_message(daemon: GrpcDaemon, garbage: list[bytes]) -> None:
    channel = daemon.channel()
    for path, client_streaming, server_streaming in methods():
        kind = {(False, False): channel.unary_unary, (False, True): channel.unary_stream, (True, False): channel.stream_unary,
                (True, True): channel.stream_stream}[(client_streaming, server_streaming)]
        call = kind(path)  # no serializers: the bytes go as they are
        no_internal_errors(lambda: call(iter(garbage) if client_streaming else garbage[0], metadata=daemon.metadata, timeout=30))


def test_a_truncated_message_is_an_invalid_argument(daemon: GrpcDaemon) -> None:
    for path, streaming in (("/wabbit.v1.Serving/Decide", False), ("/wabbit.v1.Serving/Learn", True)):
        call = daemon.channel().stream_unary(path) if streaming else daemon.channel().unary_unary(path)
        with pytest.raises(grpc.RpcError) as err:
            call(iter([b"\x0a\xff"]) if streaming else b"\x0a\xff", metadata=daemon.metadata, timeout=30)  # field 1: 255 bytes promised, none sent
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not a valid protobuf message" in err.value.details()
