"""The write-ahead log's tickets: what a caller holds for a record until it is committed, and the wake-ups that
settle the coroutines waiting on them.

A ticket is completed by the writer thread (:mod:`appliance.storage.wal`) once its record's commit is done or failed;
a thread blocks on it, a coroutine awaits it without holding a thread, and the waiting coroutines of one event loop
are woken in one hand-over per commit.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from contextlib import contextmanager
from typing import Callable, Iterator

from appliance.errors import StorageError

log = logging.getLogger(__name__)
GIVE_UP_TICK_S = 0.25
"""How often an event loop looks for waits on the log that are past their timeout."""


class Ticket:
    """Completes when the record it stands for is committed (or the commit failed).

    A thread blocks in :meth:`wait`; a coroutine awaits :meth:`wait_async`, which holds no thread meanwhile
    (the writer thread wakes the event loop once the commit is done). A ticket is two fields until someone waits on
    it (a ``threading.Event`` per record, made on the event loop, was a twentieth of its time per HTTP decide).
    """

    __slots__ = ("_error", "_callbacks")

    def __init__(self) -> None:
        self._error: BaseException | None = None
        self._callbacks: list[Then] | None = []  # None once completed

    def _finish(self, error: BaseException | None) -> None:
        self._error = error
        with _CALLBACKS:
            callbacks, self._callbacks = self._callbacks, None
        for callback in callbacks or ():
            try:
                callback(error)
            except Exception:  # e.g. the event loop that waited is closed: the writer must go on
                log.exception("a write-ahead log ticket callback failed")

    def when_done(self, callback: Then) -> None:
        """Call ``callback(error)`` once committed (``error`` None) or failed: at once if that already happened,
        else on the writer thread (it must not block)."""
        with _CALLBACKS:
            if self._callbacks is not None:
                self._callbacks.append(callback)
                return
        callback(self._error)

    def wait(self, timeout: float | None = 10.0) -> None:
        """Block until committed; raise :class:`StorageError` if the commit failed or took too long."""
        if self._callbacks is not None:
            done = threading.Event()
            self.when_done(lambda error: done.set())
            if not done.wait(timeout):
                raise StorageError(f"the write-ahead log did not commit within {timeout} s (disk stalled?)")
        self._raise()

    async def wait_async(self, timeout: float = 10.0) -> None:
        """:meth:`wait` for a coroutine: the event loop serves other requests until the commit is done.

        >>> ticket = Ticket()
        >>> async def committed() -> str:
        ...     threading.Timer(0.01, ticket._finish, (None,)).start()
        ...     await ticket.wait_async()
        ...     return "durable"
        >>> asyncio.run(committed())
        'durable'
        """
        if self._callbacks is not None:
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()
            wakeups = Wakeups.of(loop)
            self.when_done(lambda error: wakeups.add(done))
            wakeups.give_up(done, timeout)
            try:
                await done
            except TimeoutError:
                raise StorageError(f"the write-ahead log did not commit within {timeout} s (disk stalled?)") from None
        self._raise()

    def _raise(self) -> None:
        if isinstance(self._error, StorageError):
            raise StorageError(str(self._error))
        if self._error is not None:
            raise StorageError(f"the write-ahead log could not commit: {self._error}")


_CALLBACKS = threading.Lock()  # a ticket's callbacks are either added or run, never both at once
_HELD = threading.local()  # the writer's wake-ups to hand over once its tickets are settled (Wakeups.held)


class Wakeups:
    """The futures of one event loop's coroutines whose tickets completed, settled in one hand-over to that loop
    however many a commit completes at once (``call_soon_threadsafe`` writes to the loop's wake-up pipe: one system
    call and one wake-up per batch, not per ticket).

    >>> async def two() -> list[bool]:
    ...     loop = asyncio.get_running_loop()
    ...     futures = [loop.create_future(), loop.create_future()]
    ...     for f in futures:
    ...         Wakeups.of(loop).add(f)
    ...     await asyncio.gather(*futures)
    ...     return [f.done() for f in futures]
    >>> asyncio.run(two())
    [True, True]
    """

    _of_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Wakeups] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._futures: list[asyncio.Future[None]] = []
        self._lock = threading.Lock()
        self._deadlines: list[tuple[float, asyncio.Future[None]]] = []  # only touched on the loop's thread

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> Wakeups:
        """The running loop's."""
        wakeups = cls._of_loop.get(loop)
        if wakeups is None:
            with _CALLBACKS:  # the HTTP and gRPC servers' loops run on threads of their own
                wakeups = cls._of_loop.setdefault(loop, cls(loop))
        return wakeups

    def add(self, done: asyncio.Future[None]) -> None:
        """Settle ``done`` soon, on its loop (called from any thread)."""
        with self._lock:
            first = not self._futures
            self._futures.append(done)
        if not first:  # the hand-over already asked for takes this one too
            return
        held: list[Wakeups] | None = getattr(_HELD, "wakeups", None)
        if held is None:
            self._loop.call_soon_threadsafe(self._settle)
        else:
            held.append(self)

    @staticmethod
    @contextmanager
    def held() -> Iterator[None]:
        """The hand-overs this thread asks for within, made at its end: the writer settles a whole commit's tickets
        before it wakes any loop. Asked for per ticket, the first hand-over's write to the wake-up pipe let go of the
        interpreter's lock, the loop took it and settled one future, and the writer waited for the lock again (up to
        the 5 ms switch interval) before the next ticket, which then needed a hand-over of its own."""
        held: list[Wakeups] = []
        _HELD.wakeups = held
        try:
            yield
        finally:
            _HELD.wakeups = None
            for wakeups in held:
                try:
                    wakeups._loop.call_soon_threadsafe(wakeups._settle)
                except RuntimeError:  # the loop that waited is closed: the writer must go on
                    log.exception("a write-ahead log wake-up failed")

    def give_up(self, done: asyncio.Future[None], timeout: float) -> None:
        """Fail ``done`` with TimeoutError if it is still pending ``timeout`` s from now (up to ``GIVE_UP_TICK_S``
        later): one timer per loop while futures wait, not one per wait (``asyncio.timeout`` cost a tenth of a
        decide's time on the event loop). Called on the loop's thread."""
        if not self._deadlines:
            self._loop.call_later(GIVE_UP_TICK_S, self._expire)
        self._deadlines.append((self._loop.time() + timeout, done))

    def _expire(self) -> None:
        now, waiting = self._loop.time(), []
        for deadline, done in self._deadlines:
            if done.done():
                continue
            if deadline <= now:
                done.set_exception(TimeoutError())
            else:
                waiting.append((deadline, done))
        self._deadlines = waiting
        if waiting:
            self._loop.call_later(GIVE_UP_TICK_S, self._expire)

    def _settle(self) -> None:
        with self._lock:
            futures, self._futures = self._futures, []
        for done in futures:
            if not done.done():  # not given up (timed out, or the client left)
                done.set_result(None)


DONE = Ticket()
DONE._finish(None)

Then = Callable[[BaseException | None], None]
"""Runs on the writer thread once a record is committed (``None``) or failed (the error)."""
