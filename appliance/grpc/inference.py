"""``inference.GRPCInferenceService``: the Open Inference Protocol v2, so OIP clients get predictions unchanged.

A model takes one input tensor of datatype ``BYTES`` (named ``examples`` by convention), one VW example per
element: in ``contents.bytes_contents``, or in ``raw_input_contents`` (each element a 4-byte little-endian
length, then its bytes). The request parameter ``format`` (``text``, the default, or ``dsjson``) says which.
Outputs: ``prediction_json`` (``BYTES``, one ``{"type", "value"}`` JSON per example) always, and ``prediction``
(``FP64``, shape ``[n]`` for numbers, ``[n, k]`` for lists of ``k`` numbers) when the predictions are numeric
and of one shape. Nothing is learned: OIP has no learning call (Learn in ``wabbit.v1.Serving`` has).
"""

from __future__ import annotations

import struct
from importlib import metadata
from typing import Any

import orjson

from appliance.errors import UsageError
from appliance.grpc.calls import Calls
from appliance.grpc.serving import FORMATS, MAX_EXAMPLES, numbers
from appliance.grpc.status import Oversized, unary
from appliance.models.base import ExampleFormat, Prediction

OUTPUTS = ("prediction", "prediction_json")


def raw_bytes(raw: bytes) -> list[bytes]:
    """The elements of a raw BYTES tensor: each a 4-byte little-endian length, then that many bytes.

    >>> raw_bytes(b"\\x03\\x00\\x00\\x00abc\\x01\\x00\\x00\\x00d")
    [b'abc', b'd']
    >>> raw_bytes(b"\\x09\\x00\\x00\\x00abc")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: raw BYTES tensor: element 0 says 9 bytes at offset 4 but only 3 remain
    """
    out: list[bytes] = []
    offset = 0
    while offset < len(raw):
        if len(raw) - offset < 4:
            raise UsageError(f"raw BYTES tensor: {len(raw) - offset} stray bytes at offset {offset} (each element is a 4-byte "
                             "length, then its bytes)")
        (length,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if length > len(raw) - offset:
            raise UsageError(f"raw BYTES tensor: element {len(out)} says {length} bytes at offset {offset} but only {len(raw) - offset} remain")
        out.append(raw[offset:offset + length])
        offset += length
    return out


def examples_of(request: Any) -> tuple[list[str], ExampleFormat]:
    """The examples and format of a ModelInferRequest; UsageError saying what is wrong with it."""
    if len(request.inputs) != 1:
        raise UsageError(f"send one input tensor (BYTES, one VW example per element, named 'examples'); got {len(request.inputs)}")
    tensor = request.inputs[0]
    if tensor.datatype != "BYTES":
        raise UsageError(f"input {tensor.name!r} is {tensor.datatype or 'untyped'}; VW examples travel as a BYTES tensor")
    if request.raw_input_contents:
        elements = raw_bytes(request.raw_input_contents[0])
    else:
        elements = list(tensor.contents.bytes_contents)
    shape = list(tensor.shape)
    count = 1
    for dim in shape:
        count *= dim
    if not shape or any(d < 0 for d in shape) or count != len(elements):
        raise UsageError(f"input {tensor.name!r} has shape {shape} but {len(elements)} elements; give its shape as [n] for n examples")
    if len(elements) > MAX_EXAMPLES:
        raise Oversized(f"{len(elements)} examples in one request; send at most {MAX_EXAMPLES}")
    fmt_param = request.parameters.get("format") or tensor.parameters.get("format")
    fmt = fmt_param.string_param if fmt_param is not None else "text"
    if fmt not in FORMATS.values():
        raise UsageError(f"parameter format={fmt!r}: use 'text' (VW text) or 'dsjson'")
    try:
        return [e.decode("utf-8") for e in elements], fmt  # type: ignore[return-value]
    except UnicodeDecodeError as err:
        raise UsageError(f"input {tensor.name!r}: an example is not UTF-8 ({err})") from None


class InferenceServicer:
    def __init__(self, calls: Calls, pb: Any) -> None:
        self._calls, self._pb = calls, pb

    @unary
    async def ServerLive(self, request: Any, context: Any) -> Any:
        return self._pb.ServerLiveResponse(live=True)

    @unary
    async def ServerReady(self, request: Any, context: Any) -> Any:
        host = self._calls.host
        return self._pb.ServerReadyResponse(ready=all(host.get(name).ready() for name in host.names()))

    @unary
    async def ModelReady(self, request: Any, context: Any) -> Any:
        return self._pb.ModelReadyResponse(ready=self._calls.model(request.name).ready())

    @unary
    async def ServerMetadata(self, request: Any, context: Any) -> Any:
        return self._pb.ServerMetadataResponse(name="raspberry-wabbit", version=metadata.version("raspberry-wabbit"), extensions=[])

    @unary
    async def ModelMetadata(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.name)
        versions = await self._calls.run(model, "ModelMetadata", model.versions)
        tensor = self._pb.ModelMetadataResponse.TensorMetadata
        policy = model.policy_type()
        if policy != "vw":  # a loop whose policy is not VW: no raw examples to infer from (ModelInfer says so)
            return self._pb.ModelMetadataResponse(name=model.name, versions=[str(v.version) for v in versions],
                                                  platform=f"raspberry_wabbit_{policy}", inputs=[], outputs=[])
        return self._pb.ModelMetadataResponse(
            name=model.name, versions=[str(v.version) for v in versions], platform=f"vowpal_wabbit_{model.kind}",
            inputs=[tensor(name="examples", datatype="BYTES", shape=[-1])],
            outputs=[tensor(name="prediction", datatype="FP64", shape=[-1, -1]), tensor(name="prediction_json", datatype="BYTES", shape=[-1])])

    @unary
    async def ModelInfer(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model_name)
        wanted = [o.name for o in request.outputs] or list(OUTPUTS)
        unknown = sorted(set(wanted) - set(OUTPUTS))
        if unknown:
            raise UsageError(f"no output {', '.join(map(repr, unknown))}; this model's outputs: {', '.join(OUTPUTS)}")
        examples, fmt = examples_of(request)
        predictions = await self._calls.run(model, "ModelInfer", lambda: model.predict(examples, fmt), items=len(examples))
        outputs = [self._output(name, predictions) for name in wanted]
        return self._pb.ModelInferResponse(model_name=model.name, model_version=request.model_version, id=request.id,
                                           outputs=[o for o in outputs if o is not None])

    def _output(self, name: str, predictions: list[Prediction]) -> Any:
        tensor, contents = self._pb.ModelInferResponse.InferOutputTensor, self._pb.InferTensorContents
        if name == "prediction_json":
            return tensor(name=name, datatype="BYTES", shape=[len(predictions)],
                          contents=contents(bytes_contents=[orjson.dumps({"type": p.type, "value": p.value}) for p in predictions]))
        rows = [numbers(p.value) for p in predictions]
        width = {len(r) for r in rows}
        if len(width) != 1 or 0 in width:
            return None  # not numeric, or of several shapes: prediction_json has them
        scalar = all(not isinstance(p.value, list) for p in predictions)
        shape = [len(rows)] if scalar else [len(rows), width.pop()]
        return tensor(name=name, datatype="FP64", shape=shape, contents=contents(fp64_contents=[v for r in rows for v in r]))
