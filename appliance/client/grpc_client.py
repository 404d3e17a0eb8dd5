"""The gRPC transport of the client (``grpc://HOST:PORT``, or ``grpcs://`` for TLS): ``wabbit.v1`` over ``grpc.aio``."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Any, AsyncIterator, Sequence

import orjson

from appliance.client.base import AsyncClosing, ClientError, Decide, Decided, Format, ModelInfo, Rewarded, Statistics
from appliance.client.failures import closed_client, closed_during_call, connection_lost, timed_out, unreachable
from appliance.features import Features
from appliance.grpc import stubs
from appliance.models.base import ModelStatistics, ModelVersion, Prediction

FORMATS = {"text": 0, "dsjson": 1}
BATCH = 1000
DECIDE_BATCH = 500
CHUNK_BYTES = 256 * 1024
RECONNECT_OPTIONS = [("grpc.initial_reconnect_backoff_ms", 500), ("grpc.min_reconnect_backoff_ms", 500),
                     ("grpc.max_reconnect_backoff_ms", 1000)]
"""Try a lost daemon again every second at most: grpc's backoff (1 s, times 1.6 up to 120 s) left a client failing
UNAVAILABLE for up to two minutes after a daemon that was down a while came back (14 s after a 25 s outage)."""
TRANSPORT_FAILURE = re.compile(r"Socket closed|Stream removed|Connection reset|Broken pipe|GOAWAY|recvmsg|sendmsg|Connection closed")
"""grpc's words for a connection that broke under a call (a status the daemon sent has its own)."""


class AsyncGrpcClient(AsyncClosing):
    def __init__(self, target: str, token: str | None = None, *, tls: bool = False, tls_ca: bytes | None = None,
                 timeout_s: float = 30.0, max_message_bytes: int = 16 << 20) -> None:
        """``target``: ``host:port``; ``tls``: verify the server's certificate against ``tls_ca`` (PEM; ``None``:
        the system's roots)."""
        import grpc

        super().__init__()
        options = [("grpc.max_receive_message_length", max_message_bytes), ("grpc.max_send_message_length", max_message_bytes),
                   *RECONNECT_OPTIONS]
        self._channel = (grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=tls_ca), options=options)
                         if tls else grpc.aio.insecure_channel(target, options=options))
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._target, self._timeout = target, timeout_s
        self._closed = False
        serving, management = stubs.serving(), stubs.management()
        self._pb, self._mpb = serving.pb, management.pb
        self.serving = serving.rpc.ServingStub(self._channel)
        self.management = management.rpc.ManagementStub(self._channel)

    async def _call(self, method: Any, request: Any) -> Any:
        import grpc

        self._in_its_loop()
        try:
            return await method(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.UsageError:  # its channel is closed
            raise closed_client() from None
        except grpc.aio.AioRpcError as err:
            raise self._error(err) from None
        except asyncio.CancelledError:
            if self._closed_under_call():
                raise closed_during_call() from None
            raise

    def _closed_under_call(self) -> bool:
        """Whether a call's ``CancelledError`` came from :meth:`close` (grpc cancels a closed channel's calls, which would
        cancel the caller's task: it gets ``CANCELLED`` instead, as a synchronous client's call does), not from its task."""
        task = asyncio.current_task()
        return self._closed and task is not None and not task.cancelling()

    def _format(self, fmt: Format) -> int:
        if fmt not in FORMATS:
            raise ClientError("INVALID_ARGUMENT", f"format {fmt!r}: use 'text' or 'dsjson'")
        return FORMATS[fmt]

    def _error(self, err: Any, after: str = "") -> ClientError:
        """The ClientError of a failed call (``after``: what a stream did before it); grpc's own words for a deadline,
        a refused connection or a broken one are replaced by the HTTP transport's, which say what the call may have done."""
        code, details = err.code().name, err.details() or ""
        if code == "DEADLINE_EXCEEDED" and details == "Deadline Exceeded":
            failed = timed_out(self._target, self._timeout)
        elif code == "UNAVAILABLE" and details.startswith("failed to connect to all addresses"):
            failed = unreachable(self._target, details.partition("last error: ")[2] or details, "handshake failed" in details.lower())
        elif code == "UNAVAILABLE" and TRANSPORT_FAILURE.search(details):
            failed = connection_lost(self._target, details)
        elif code == "RESOURCE_EXHAUSTED" and "larger than max" in details:  # grpc's words, on either side
            failed = ClientError(code, f"{details}: send less a call (fewer or smaller examples); the daemon takes at most "
                                 "server.grpc.max_message_bytes a message")
        else:
            failed = ClientError(code, details)
        return ClientError(failed.code, failed.message + after) if after else failed

    # -- the loop --------------------------------------------------------------------------------
    def _decide_request(self, d: Decide, model: str) -> Any:
        pb = self._pb
        return pb.DecideRequest(model=model, context={ns: pb.Namespace(features=f) for ns, f in (d.context or {}).items()},
                                actions=list(d.actions or ()), event_id=d.event_id or "")

    @staticmethod
    def _decided(r: Any) -> Decided:
        return Decided(r.event_id, r.action, r.probability, {p.action: p.probability for p in r.pmf}, r.model_version, r.timestamp)

    async def decide(self, context: Features | None = None, actions: Sequence[str] | None = None, event_id: str | None = None,
                     model: str = "") -> Decided:
        return self._decided(await self._call(self.serving.Decide, self._decide_request(Decide(context, actions, event_id), model)))

    async def decide_many(self, requests: Sequence[Decide], model: str = "") -> list[Decided]:
        """One DecideStream carrying the decisions in batches of up to ``DECIDE_BATCH`` a message (a server from
        before batches answers a batch with one decision of its own and no ``batch``: ClientError)."""
        import grpc

        if not requests:  # no call: an empty stream to a channel that failed ends cancelled, not answered
            return []
        self._in_its_loop()
        messages = [self._pb.DecideRequest(model=model, batch=[self._decide_request(d, "") for d in requests[i:i + DECIDE_BATCH]])
                    for i in range(0, len(requests), DECIDE_BATCH)]
        out: list[Decided] = []
        try:
            async for response in self.serving.DecideStream(iter(messages), metadata=self._metadata, timeout=self._timeout):
                if not response.batch:
                    raise ClientError("UNIMPLEMENTED", "the server does not take batches of decisions over DecideStream; upgrade it")
                out.extend(self._decided(r) for r in response.batch)
        except grpc.aio.UsageError:  # its channel is closed
            raise closed_client() from None
        except grpc.aio.AioRpcError as err:
            raise self._error(err, f" (after {len(out)} of {len(requests)} decisions)") from None
        except asyncio.CancelledError:
            if self._closed_under_call():
                raise closed_during_call() from None
            raise
        return out

    async def reward(self, event_id: str, value: float, reward_id: str | None = None, model: str = "") -> Rewarded:
        r = await self._call(self.serving.Reward, self._pb.RewardRequest(model=model, event_id=event_id, value=value, reward_id=reward_id or ""))
        return Rewarded(r.event_id, r.status)

    # -- raw examples ----------------------------------------------------------------------------
    async def predict(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> list[Prediction]:
        r = await self._call(self.serving.Predict, self._pb.PredictRequest(model=model, format=self._format(fmt), examples=list(examples)))
        return [Prediction(p.type, orjson.loads(p.json)) for p in r.predictions]

    async def learn(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> int:
        batches = [self._pb.LearnRequest(model=model, format=self._format(fmt), examples=list(examples[i:i + BATCH]))
                   for i in range(0, max(len(examples), 1), BATCH)]
        return int((await self._call(self.serving.Learn, iter(batches))).learned)

    async def statistics(self, model: str = "") -> Statistics:
        r = await self._call(self.serving.Statistics, self._pb.StatisticsRequest(model=model))
        stats = ModelStatistics(r.model_version, r.examples, r.weighted_examples, r.sum_loss, r.average_loss if r.has_average_loss else None,
                                None if r.features < 0 else r.features, None if r.nonzero_weights < 0 else r.nonzero_weights)
        rpcs = {c.rpc: {"items": c.items, **{k: {"count": getattr(c, k).count, "ns": getattr(c, k).ns}
                                             for k in ("success", "fail", "queue", "compute")}} for c in r.rpcs}
        return Statistics(stats, rpcs)

    # -- management ------------------------------------------------------------------------------
    @staticmethod
    def _info(m: Any) -> ModelInfo:
        return ModelInfo(m.name, m.kind, m.ready, orjson.loads(m.status_json) if m.status_json else {})

    @staticmethod
    def _version(v: Any) -> ModelVersion:
        return ModelVersion(v.version, v.created, v.sha256, v.size, v.origin,
                            v.source_version if v.HasField("source_version") else None)

    async def models(self) -> list[ModelInfo]:
        return [self._info(m) for m in (await self._call(self.management.ListModels, self._mpb.ListModelsRequest())).models]

    async def get_model(self, model: str = "") -> ModelInfo:
        return self._info(await self._call(self.management.GetModel, self._mpb.ModelRef(model=model)))

    async def create_model(self, name: str, vw_arguments: str | None = None, config_yaml: str | None = None) -> ModelInfo:
        request = self._mpb.CreateModelRequest(name=name, vw_arguments=vw_arguments or "", config_yaml=config_yaml or "")
        return self._info(await self._call(self.management.CreateModel, request))

    async def delete_model(self, name: str) -> None:
        await self._call(self.management.DeleteModel, self._mpb.DeleteModelRequest(name=name))

    async def download(self, model: str = "") -> tuple[bytes, ModelVersion]:
        import grpc

        self._in_its_loop()
        data, version = bytearray(), None
        try:
            async for chunk in self.management.Download(self._mpb.ModelRef(model=model), metadata=self._metadata, timeout=self._timeout):
                if version is None:
                    version = self._version(chunk.version)
                data += chunk.data
        except grpc.aio.UsageError:  # its channel is closed
            raise closed_client() from None
        except grpc.aio.AioRpcError as err:
            raise self._error(err) from None
        except asyncio.CancelledError:
            if self._closed_under_call():
                raise closed_during_call() from None
            raise
        if version is None or hashlib.sha256(data).hexdigest() != version.sha256:
            raise ClientError("DATA_LOSS", f"the model arrived cut short or changed ({len(data)} bytes); download it again")
        return bytes(data), version

    async def upload(self, data: bytes, model: str = "", model_version: int | None = None, bundle: bool = False) -> ModelVersion:
        async def chunks() -> AsyncIterator[Any]:
            for offset in range(0, max(len(data), 1), CHUNK_BYTES):
                first = offset == 0
                yield self._mpb.ModelChunk(
                    data=data[offset:offset + CHUNK_BYTES], model=model if first else "", sha256=hashlib.sha256(data).hexdigest() if first else "",
                    set_version=first and model_version is not None, bundle=first and bundle,
                    version=self._mpb.ModelVersion(version=model_version) if first and model_version is not None else None)

        return self._version((await self._call(self.management.Upload, chunks())).version)

    async def save(self, model: str = "") -> ModelVersion:
        return self._version(await self._call(self.management.Save, self._mpb.ModelRef(model=model)))

    async def versions(self, model: str = "") -> list[ModelVersion]:
        return [self._version(v) for v in (await self._call(self.management.Versions, self._mpb.ModelRef(model=model))).versions]

    async def rollback(self, version: int, model: str = "") -> ModelVersion:
        return self._version(await self._call(self.management.Rollback, self._mpb.RollbackRequest(model=model, version=version)))

    async def close(self) -> None:
        self._closed = True
        await self._channel.close()
