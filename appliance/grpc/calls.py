"""Running a model's blocking call from the gRPC event loop, and counting it per model and RPC as Triton does.

Each call is timed from its arrival: ``queue`` is the wait for a worker thread, ``compute`` the time in the
model (a decision's write-ahead-log sync included), ``success``/``fail`` the whole call. A decision is made
in-line on the event loop when its model is free and awaits its commit there (:meth:`Calls.durable`). The counters are
only touched on the event loop's thread, so they need no lock.

>>> stats = RpcStatistics()
>>> stats.record("default", "Decide", ok=True, queue_ns=1_000, compute_ns=40_000, total_ns=45_000, items=1)
>>> row = stats.of("default")[0]
>>> row.rpc, row.success.count, row.success.ns, row.compute.ns
('Decide', 1, 45000, 40000)
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence, TypeVar

from appliance.models.base import ModelHost, ServedModel
from appliance.storage.wal_tickets import Ticket

T = TypeVar("T")
R = TypeVar("R")
IN_LINE = 64
"""A batch's decisions are made on the event loop this many at a time (a few ms), its other calls served in between."""


@dataclass
class Duration:
    count: int = 0
    ns: int = 0

    def add(self, ns: int, count: int = 1) -> None:
        self.count += count
        self.ns += ns


@dataclass
class RpcCounter:
    rpc: str
    success: Duration = field(default_factory=Duration)
    fail: Duration = field(default_factory=Duration)
    queue: Duration = field(default_factory=Duration)
    compute: Duration = field(default_factory=Duration)
    items: int = 0


class RpcStatistics:
    """Per model, per RPC: counts and nanoseconds of successes, failures, queueing and compute."""

    def __init__(self) -> None:
        self._counters: dict[str, dict[str, RpcCounter]] = {}

    def record(self, model: str, rpc: str, *, ok: bool, queue_ns: int, compute_ns: int, total_ns: int, items: int) -> None:
        counter = self._counters.setdefault(model, {}).get(rpc)
        if counter is None:
            counter = self._counters[model][rpc] = RpcCounter(rpc)
        (counter.success if ok else counter.fail).add(total_ns)
        counter.queue.add(queue_ns)
        counter.compute.add(compute_ns)
        counter.items += items if ok else 0

    def of(self, model: str) -> list[RpcCounter]:
        """The counters of ``model``, by RPC name."""
        return sorted(self._counters.get(model, {}).values(), key=lambda c: c.rpc)

    def forget(self, model: str) -> None:
        """Drop a deleted model's counters."""
        self._counters.pop(model, None)


class Calls:
    """Runs blocking model calls in a pool of threads, timed and counted."""

    def __init__(self, host: ModelHost, workers: int) -> None:
        self.host = host
        self.stats = RpcStatistics()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grpc-model")
        self._batches: dict[str, asyncio.Lock] = {}

    def model(self, name: str) -> ServedModel:
        """The named model (``""``: the default one); UnknownModelError otherwise."""
        return self.host.get(name)

    async def run(self, model: ServedModel, rpc: str, work: Callable[[], T], items: int = 1) -> T:
        """``work()`` in a worker thread; its time counted under ``model`` and ``rpc``."""
        arrived = time.perf_counter_ns()
        times = [arrived, arrived]

        def timed() -> T:
            times[0] = time.perf_counter_ns()
            try:
                return work()
            finally:
                times[1] = time.perf_counter_ns()

        ok = False
        try:
            result = await asyncio.get_running_loop().run_in_executor(self.executor, timed)
            ok = True
            return result
        finally:
            self.stats.record(model.name, rpc, ok=ok, queue_ns=times[0] - arrived, compute_ns=times[1] - times[0],
                              total_ns=time.perf_counter_ns() - arrived, items=items)

    def durable(self, model: ServedModel, rpc: str, begin: Callable[[bool], tuple[T, Ticket] | None], answer: Callable[[T], R]) -> Awaitable[R]:
        """``begin(False)`` in-line, now (``None``: the model is busy, so ``begin(True)`` starts in a worker thread); the
        awaitable gives ``answer(result)`` once its ticket completes, awaited with no thread held, its time counted under
        ``model`` and ``rpc`` (``compute`` runs to the commit). Calls begun together share one write-ahead log commit,
        so a stream begins its next decisions while the commit of the first is under way."""
        arrived = time.perf_counter_ns()
        started = [arrived]

        def in_thread() -> tuple[T, Ticket] | None:
            started[0] = time.perf_counter_ns()
            return begin(True)

        try:
            made: tuple[T, Ticket] | Awaitable[tuple[T, Ticket] | None] | None = begin(False)
        except Exception:
            self._count(model, rpc, False, arrived, started[0])
            raise
        if made is None:
            made = asyncio.get_running_loop().run_in_executor(self.executor, in_thread)
        return self._committed(model, rpc, made, answer, arrived, started)

    async def _committed(self, model: ServedModel, rpc: str, made: tuple[T, Ticket] | Awaitable[tuple[T, Ticket] | None],
                         answer: Callable[[T], R], arrived: int, started: list[int]) -> R:
        ok = False
        try:
            begun = made if isinstance(made, tuple) else await made
            assert begun is not None  # begin(True) waits for the model
            result, ticket = begun
            await ticket.wait_async()
            ok = True
            return answer(result)
        finally:
            self._count(model, rpc, ok, arrived, started[0])

    def durable_batch(self, model: ServedModel, rpc: str, begins: Sequence[Callable[[bool], tuple[T, Ticket] | None]],
                      answer: Callable[[list[T]], R]) -> Awaitable[R]:
        """:meth:`durable` for several calls answered as one (a batch of decisions), started now as a task: each by
        ``begin(False)`` on the event loop, ``IN_LINE`` at a time with the loop's other calls served in between; one that
        finds the model busy waits for it by ``begin(True)`` in a worker thread, and the rest go on in-line. ``answer(results)``
        once every ticket completed, counted as one call of ``len(begins)`` items. A failure ends the batch: the calls begun
        before it stay made (durable, unanswered)."""
        return asyncio.ensure_future(self._batch(model, rpc, begins, answer, time.perf_counter_ns()))

    async def _batch(self, model: ServedModel, rpc: str, begins: Sequence[Callable[[bool], tuple[T, Ticket] | None]],
                     answer: Callable[[list[T]], R], arrived: int) -> R:
        started, ok = arrived, False
        results: list[T] = []
        tickets: list[Ticket] = []
        try:
            async with self._batches.setdefault(model.name, asyncio.Lock()):  # one batch at a time, in their order
                started = time.perf_counter_ns()
                for index, begin in enumerate(begins):
                    if index and not index % IN_LINE:
                        await asyncio.sleep(0)  # the event loop's other calls go first
                    made = begin(False)
                    if made is None:
                        made = await asyncio.get_running_loop().run_in_executor(self.executor, begin, True)
                        assert made is not None  # begin(True) waits for the model
                    results.append(made[0])
                    tickets.append(made[1])
            for ticket in reversed(tickets):  # the log commits in order: once the last is durable, the others mostly are
                await ticket.wait_async()
            ok = True
            return answer(results)
        finally:
            self._count(model, rpc, ok, arrived, started, len(begins))

    def _count(self, model: ServedModel, rpc: str, ok: bool, arrived: int, started: int, items: int = 1) -> None:
        now = time.perf_counter_ns()
        self.stats.record(model.name, rpc, ok=ok, queue_ns=started - arrived, compute_ns=now - started, total_ns=now - arrived, items=items)

    async def blocking(self, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread, uncounted (management calls that name no model yet)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, work)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
