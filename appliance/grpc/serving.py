"""``wabbit.v1.Serving``: Decide, DecideStream, Reward, Predict, PredictStream, Learn, Statistics over ModelHost.

Input is checked as the HTTP API checks it (the same pydantic bodies), so both APIs accept and refuse the
same things. A streamed Decide or Predict handles up to ``WINDOW`` requests at once and answers in order; its
first failure ends the stream with that failure's status (the answers before it stand). A DecideStream message
may carry a batch of up to ``MAX_BATCH`` decisions, answered by one message once all of them are durable: per
decision, that saves the per-message costs of gRPC (a message read, one written, a task) and of the awaiting.
"""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, Coroutine, Sequence

import orjson

from appliance.errors import UsageError
from appliance.grpc.calls import Calls
from appliance.grpc.decide_input import DecideCall, batch_calls, decide_call
from appliance.grpc.status import Oversized, UnknownEvent, streaming, unary
from appliance.models.base import ExampleFormat, Prediction, ServedModel
from appliance.policy.base import Decision
from appliance.server.schemas import RewardRequest
from appliance.storage.wal_tickets import Ticket

FORMATS: dict[int, ExampleFormat] = {0: "text", 1: "dsjson"}
MAX_EXAMPLES = 10_000
MAX_EXAMPLE_CHARS = 1_000_000
WINDOW = 64
MAX_BATCH = 1_000


def examples_of(request: Any) -> tuple[list[str], ExampleFormat]:
    """A Predict or Learn message's examples and format, within bounds."""
    fmt = FORMATS.get(request.format)
    if fmt is None:
        raise UsageError(f"format {request.format} is not one of TEXT (0) or DSJSON (1)")
    examples = list(request.examples)
    if len(examples) > MAX_EXAMPLES:
        raise Oversized(f"{len(examples)} examples in one message; send at most {MAX_EXAMPLES} (split them over messages)")
    for index, text in enumerate(examples):
        if len(text) > MAX_EXAMPLE_CHARS:
            raise Oversized(f"example {index} has {len(text)} characters; one example may have {MAX_EXAMPLE_CHARS}")
    return examples, fmt


def numbers(value: Any) -> list[float]:
    """A prediction's value as a flat list of numbers when it is a number or a list of numbers, else [].

    >>> numbers(2), numbers([0.25, 0.75]), numbers([[1, 0.5]])
    ([2.0], [0.25, 0.75], [])
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    if isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    return []


def _answer(decision: Decision) -> dict[str, Any]:
    """A DecideResponse's fields for ``decision`` (its pmf as plain dicts: building ActionProbability messages costs more)."""
    return {"event_id": decision.event_id, "action": decision.action, "probability": decision.probability,
            "pmf": [{"action": a, "probability": p} for a, p in zip(decision.actions, decision.pmf)],
            "model_version": decision.model_version, "timestamp": decision.timestamp}


def _begin(model: ServedModel, call: DecideCall) -> Callable[[bool], tuple[Decision, Ticket] | None]:
    context, actions, event_id = call
    return lambda wait: model.begin_decide(context, actions, event_id, wait=wait)


class ServingServicer:
    def __init__(self, calls: Calls, pb: Any) -> None:
        self._calls, self._pb = calls, pb

    # -- the loop --------------------------------------------------------------------------------
    def _decision(self, decision: Decision) -> Any:
        return self._pb.DecideResponse(**_answer(decision))

    def _decisions(self, decisions: Sequence[Decision]) -> Any:
        """A batch's answers, each added in place (a message built apart would be copied in)."""
        response = self._pb.DecideResponse()
        add = response.batch.add
        for decision in decisions:
            add(**_answer(decision))
        return response

    def _decide(self, request: Any, rpc: str) -> Awaitable[Any]:
        """Decide now (in-line when the model is free); the awaitable answers once the decision is durable."""
        if request.batch:
            raise UsageError(f"a batch of decisions ({len(request.batch)}) travels over DecideStream; {rpc} takes one decision a message")
        model = self._calls.model(request.model)
        return self._calls.durable(model, rpc, _begin(model, decide_call(request)), self._decision)

    def _decide_batch(self, request: Any) -> Awaitable[Any]:
        """A DecideStream message's batch: every decision checked first, then made (in-line while the model is free); the
        awaitable answers them all, in order, once every one is durable."""
        if len(request.batch) > MAX_BATCH:
            raise Oversized(f"{len(request.batch)} decisions in one batch; send at most {MAX_BATCH} a message (split them over messages)")
        if request.context or request.actions or request.event_id:
            raise UsageError("a message with a batch decides only its batch: leave its own context, actions and event_id empty")
        model = self._calls.model(request.model)
        for index, item in enumerate(request.batch):
            if item.batch:
                raise UsageError(f"batch item {index} has a batch of its own; batches do not nest")
            if item.model and self._calls.model(item.model) is not model:
                raise UsageError(f"batch item {index} names model {item.model!r}; a batch decides for the model its message names "
                                 f"({model.name!r}): send one batch a model")
        begins = [_begin(model, call) for call in batch_calls(request.batch)]
        return self._calls.durable_batch(model, "DecideStream", begins, self._decisions)

    @unary
    async def Decide(self, request: Any, context: Any) -> Any:
        return await self._decide(request, "Decide")

    @streaming
    async def DecideStream(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
        async for answer in in_order(requests, lambda r: self._decide_batch(r) if r.batch else self._decide(r, "DecideStream")):
            yield answer

    @unary
    async def Reward(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        body = RewardRequest.model_validate({"event_id": request.event_id, "reward": request.value, "reward_id": request.reward_id or None})
        result = await self._calls.run(model, "Reward", lambda: model.reward(body.event_id, body.reward, body.reward_id))
        if result.status == "unknown":
            raise UnknownEvent(f"model {model.name!r}: unknown event id {body.event_id!r}; check the id Decide returned "
                                    "(a decision waits join.reward_wait_s for its reward)")
        return self._pb.RewardResponse(event_id=result.event_id or body.event_id, status=result.status)

    # -- raw examples ----------------------------------------------------------------------------
    def _predictions(self, predictions: Sequence[Prediction]) -> Any:
        pb = self._pb
        return pb.PredictResponse(predictions=[pb.Prediction(type=p.type, values=numbers(p.value), json=orjson.dumps(p.value).decode())
                                               for p in predictions])

    async def _predict(self, request: Any, rpc: str) -> Any:
        model = self._calls.model(request.model)
        examples, fmt = examples_of(request)
        predictions = await self._calls.run(model, rpc, lambda: model.predict(examples, fmt), items=len(examples))
        return self._predictions(predictions)

    @unary
    async def Predict(self, request: Any, context: Any) -> Any:
        return await self._predict(request, "Predict")

    @streaming
    async def PredictStream(self, requests: AsyncIterator[Any], context: Any) -> AsyncIterator[Any]:
        async for answer in in_order(requests, lambda request: asyncio.ensure_future(self._predict(request, "PredictStream"))):
            yield answer

    @unary
    async def Learn(self, requests: AsyncIterator[Any], context: Any) -> Any:
        model: ServedModel | None = None
        learned = 0
        async for request in requests:
            if model is None:
                model = self._calls.model(request.model)
            elif request.model and self._calls.model(request.model) is not model:
                raise UsageError(f"a Learn stream feeds one model: it began with {model.name!r}, then named {request.model!r} "
                                 f"(the {learned} examples before were learned)")
            examples, fmt = examples_of(request)
            try:
                learned += await self._calls.run(model, "Learn", lambda: model.learn(examples, fmt), items=len(examples))
            except UsageError as err:
                raise UsageError(f"{err} (this stream's {learned} examples before it were learned and are durable)") from None
        return self._pb.LearnResponse(learned=learned)

    @unary
    async def Statistics(self, request: Any, context: Any) -> Any:
        model = self._calls.model(request.model)
        s = await self._calls.run(model, "Statistics", model.statistics)
        pb = self._pb
        rpcs = [pb.RpcStatistics(rpc=c.rpc, items=c.items, **{k: pb.StatisticDuration(count=d.count, ns=d.ns) for k, d in (
            ("success", c.success), ("fail", c.fail), ("queue", c.queue), ("compute", c.compute))}) for c in self._calls.stats.of(model.name)]
        return pb.StatisticsResponse(model=model.name, model_version=s.model_version, examples=s.examples, weighted_examples=s.weighted_examples,
                                     sum_loss=s.sum_loss, average_loss=s.average_loss or 0.0, has_average_loss=s.average_loss is not None,
                                     features=-1 if s.features is None else s.features,
                                     nonzero_weights=-1 if s.nonzero_weights is None else s.nonzero_weights, rpcs=rpcs)


async def in_order(requests: AsyncIterator[Any], handle: Callable[[Any], Awaitable[Any]], window: int = WINDOW) -> AsyncIterator[Any]:
    """``handle(request)`` for each request, up to ``window`` at once, answered in the requests' order; the first
    failure is raised once the answers before it have been yielded. ``handle`` starts the work (a task, or work
    already under way such as a decision's commit) and gives what to await for its answer."""
    pending: asyncio.Queue[Awaitable[Any] | None] = asyncio.Queue(maxsize=window)

    async def read() -> None:
        try:
            async for request in requests:
                try:
                    answer = handle(request)
                except Exception as err:  # answered in its turn, after the ones before it
                    answer = asyncio.get_running_loop().create_future()
                    answer.set_exception(err)
                await pending.put(answer)
        finally:
            await pending.put(None)

    reader = asyncio.ensure_future(read())
    try:
        while (answer := await pending.get()) is not None:
            yield await answer
        await reader  # a broken request stream raises here
    finally:
        reader.cancel()
        while not pending.empty():
            left = pending.get_nowait()
            if isinstance(left, asyncio.Future):
                if not left.cancel() and not left.cancelled():
                    left.exception()  # failed already: read, so that asyncio does not log it as never retrieved
            elif isinstance(left, Coroutine):
                left.close()  # never to be awaited: its work (a decision's commit) goes on, its answer is not sent
