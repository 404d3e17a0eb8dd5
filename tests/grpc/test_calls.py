"""``Calls.durable``: a decision begun in-line on the event loop when the model is free, in a worker thread when it is
busy, answered once its ticket completes, and counted either way (appliance/grpc/calls.py)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable, Coroutine, cast

import pytest

from appliance.errors import StorageError
from appliance.grpc.calls import Calls, RpcCounter
from appliance.models.base import ModelHost, ServedModel
from appliance.storage.wal_tickets import Ticket


class Named:
    name = "m"


def committed_soon(error: BaseException | None = None) -> Ticket:
    ticket = Ticket()
    threading.Timer(0.01, ticket._finish, (error,)).start()
    return ticket


def counted(calls: Calls, work: Coroutine[Any, Any, None]) -> RpcCounter:
    """Runs ``work``, closes ``calls``: model m's one counter."""
    try:
        asyncio.run(work)
    finally:
        calls.close()
    return calls.stats.of("m")[0]


def test_a_free_model_decides_in_line_a_busy_one_in_a_worker_thread_and_both_answer_once_committed() -> None:
    calls, model = Calls(cast(ModelHost, None), workers=1), cast(ServedModel, Named())
    begun: list[tuple[bool, str]] = []

    def begin(wait: bool) -> tuple[int, Ticket] | None:
        begun.append((wait, threading.current_thread().name))
        if len(begun) == 2:  # the second call finds the model busy
            return None
        return len(begun), committed_soon()

    async def two() -> list[str]:
        return [await calls.durable(model, "Decide", begin, str), await calls.durable(model, "Decide", begin, str)]

    try:
        assert asyncio.run(two()) == ["1", "3"]
    finally:
        calls.close()
    assert [wait for wait, _ in begun] == [False, False, True]
    assert begun[0][1] == begun[1][1] == threading.current_thread().name and begun[2][1].startswith("grpc-model")
    row = calls.stats.of("m")[0]
    assert (row.rpc, row.success.count, row.fail.count, row.items) == ("Decide", 2, 0, 2)
    assert row.compute.ns >= 2 * 10_000_000  # each waited for its commit


def test_a_failed_commit_or_decision_fails_the_call_and_is_counted() -> None:
    calls, model = Calls(cast(ModelHost, None), workers=1), cast(ServedModel, Named())

    def refused(wait: bool) -> tuple[int, Ticket] | None:
        raise ValueError("bad context")

    async def failing() -> None:
        with pytest.raises(StorageError, match="disk full"):
            await calls.durable(model, "Decide", lambda wait: (1, committed_soon(OSError("disk full"))), str)
        with pytest.raises(ValueError, match="bad context"):
            calls.durable(model, "Decide", refused, str)

    row = counted(calls, failing())
    assert (row.success.count, row.fail.count, row.items) == (0, 2, 0)


def test_a_batch_is_made_in_line_a_busy_models_decision_in_a_worker_thread_and_answered_once_all_are_committed() -> None:
    calls, model = Calls(cast(ModelHost, None), workers=2), cast(ServedModel, Named())
    begun: list[tuple[int, bool, str]] = []
    tickets: list[Ticket] = []

    def begin(n: int) -> Callable[[bool], tuple[int, Ticket] | None]:
        def made(wait: bool) -> tuple[int, Ticket] | None:
            begun.append((n, wait, threading.current_thread().name))
            if n == 70 and not wait:  # the model is busy for this one: it waits in a thread
                return None
            tickets.append(committed_soon() if n == 3 else Ticket())  # the others commit at once below, decision 3 last
            if n != 3:
                tickets[-1]._finish(None)
            return n, tickets[-1]
        return made

    async def two_batches() -> list[list[int]]:
        first = calls.durable_batch(model, "DecideStream", [begin(n) for n in range(100)], list)
        second = calls.durable_batch(model, "DecideStream", [begin(n) for n in range(100, 102)], list)
        return [await first, await second]

    try:
        assert asyncio.run(two_batches()) == [list(range(100)), [100, 101]]
    finally:
        calls.close()
    assert [n for n, _, _ in begun] == [*range(71), 70, *range(71, 102)]  # one batch after the other, in order
    assert [(wait, name.startswith("grpc-model")) for n, wait, name in begun if n == 70] == [(False, False), (True, True)]
    assert all(not wait and not name.startswith("grpc-model") for n, wait, name in begun if n != 70)
    row = calls.stats.of("m")[0]
    assert (row.rpc, row.success.count, row.items) == ("DecideStream", 2, 102)
    assert row.compute.ns >= 10_000_000  # the first batch waited for decision 3's commit


def test_a_batch_whose_commit_failed_fails_though_its_last_decision_was_committed() -> None:
    calls, model = Calls(cast(ModelHost, None), workers=1), cast(ServedModel, Named())
    failed, committed = Ticket(), Ticket()
    failed._finish(OSError("disk full"))
    committed._finish(None)

    def begin(answer: tuple[int, Ticket]) -> Callable[[bool], tuple[int, Ticket] | None]:
        return lambda wait: answer

    async def batch() -> None:
        with pytest.raises(StorageError, match="disk full"):
            await calls.durable_batch(model, "DecideStream", [begin((1, failed)), begin((2, committed))], list)

    row = counted(calls, batch())
    assert (row.success.count, row.fail.count, row.items) == (0, 1, 0)
