"""A coroutine's wait on the write-ahead log: settled when the commit is done, given up with an error a user can act on
when it never is, and cancelled cleanly when the caller leaves."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from appliance.errors import StorageError
from appliance.storage.wal_tickets import GIVE_UP_TICK_S, Ticket


def test_a_wait_that_never_commits_is_given_up_after_its_timeout_and_others_still_settle() -> None:
    async def scenario() -> tuple[float, str]:
        stalled, committed = Ticket(), Ticket()
        threading.Timer(0.3, committed._finish, (None,)).start()
        started = time.monotonic()
        outcomes = await asyncio.gather(stalled.wait_async(timeout=0.1), committed.wait_async(timeout=5.0),
                                        return_exceptions=True)
        assert outcomes[1] is None, "the ticket that committed is settled"
        assert isinstance(outcomes[0], StorageError)
        committed.wait(0)  # raises if it was not committed
        return time.monotonic() - started, str(outcomes[0])

    elapsed, message = asyncio.run(scenario())
    assert "did not commit within 0.1 s" in message and "disk stalled" in message
    assert 0.1 <= elapsed < 0.3 + GIVE_UP_TICK_S + 0.5


def test_a_cancelled_wait_leaves_nothing_behind_and_the_loop_stops_watching() -> None:
    async def scenario() -> bool:
        ticket = Ticket()
        waiter = asyncio.ensure_future(ticket.wait_async(timeout=0.05))
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        ticket._finish(None)  # a late commit settles nothing and raises nothing
        await asyncio.sleep(2 * GIVE_UP_TICK_S + 0.1)
        # the loop's watch ended with the last wait: no timer of ours is left scheduled
        loop = asyncio.get_running_loop()
        return not [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]

    assert asyncio.run(scenario())
