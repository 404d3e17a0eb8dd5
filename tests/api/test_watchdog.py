"""The watchdog restarts a worker whose step hangs or whose thread died, and counts it."""

from __future__ import annotations

import threading
import time

import pytest

from appliance.workers import Watchdog, Worker


class Crash(BaseException):
    """Escapes the worker's ``except Exception``: its thread dies."""


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_hung_step_is_restarted_and_counted() -> None:
    stop, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            release.wait(10)  # the first step hangs

    worker = Worker("hangs", step, 0.01, hang_after_s=0.2)
    worker.start(stop)
    dog = Watchdog(lambda: [worker], interval_s=0.05).worker()
    dog.start(stop)
    try:
        wait_for(lambda: worker.restarts == 1 and len(calls) > 3)
        assert "hung" in (worker.last_error or "")
    finally:
        stop.set()
        release.set()
        worker.join(2)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_dead_thread_is_restarted_and_errors_are_only_retried() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("flaky sensor")  # counted, retried by the worker itself
        if len(calls) == 2:
            raise Crash()  # kills the thread

    worker = Worker("dies", step, 0.01)
    worker.start(stop)
    dog = Watchdog(lambda: [worker], interval_s=0.05)
    wait_for(lambda: not worker.alive)
    dog.check()
    try:
        wait_for(lambda: len(calls) > 4)
        assert (worker.errors, worker.restarts, dog.restarts) == (1, 1, 1) and worker.alive
    finally:
        stop.set()
        worker.join(2)
