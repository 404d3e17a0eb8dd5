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


def test_a_nudge_ends_the_backoff_of_failing_steps_within_a_second(caplog: pytest.LogCaptureFixture) -> None:
    """After a full disk, learning goes on once there is room again, not after a backoff of up to 30 s."""
    stop, fixed = threading.Event(), threading.Event()
    calls: list[float] = []

    def step() -> None:
        calls.append(time.monotonic())
        if not fixed.is_set():
            raise OSError(28, "No space left on device")

    worker = Worker("learns", step, 0.01)
    worker.start(stop)
    try:
        wait_for(lambda: worker.errors >= 6, timeout=10)  # its backoff is now 3.2 s, doubling
        wait_for(lambda: time.monotonic() - calls[-1] > 0.3)  # well into it
        fixed.set()
        nudged = time.monotonic()
        worker.nudge()
        wait_for(lambda: worker.steps >= 1, timeout=5)
        assert calls[-1] - nudged < 1.2, f"the step ran {calls[-1] - nudged:.2f} s after the nudge"
        said = [r.getMessage() for r in caplog.records if r.name == "appliance.workers"][:3]
        assert said == [f"worker learns failed; retrying in {s} s" for s in ("0.1", "0.2", "0.4")]  # was 0.0, 0.1, 0.2
    finally:
        stop.set()
        worker.join(2)


def test_a_worker_a_reconfiguration_retired_is_not_started_again() -> None:
    """A config change retires the old parts' workers and joins them before it drops them from the watchdog's list:
    a check in between saw a thread that ended and started it again, so the old worker ran on beside the new one
    (met in a 45-minute soak: two `sources-decide` threads after a `PUT /api/config`, the old one deciding on its
    own)."""
    stop = threading.Event()
    worker = Worker("sources-decide", lambda: None, 0.01)
    worker.start(stop)
    worker.retire()
    worker.join(2)
    dog = Watchdog(lambda: [worker], interval_s=0.05)
    try:
        dog.check()
        assert (worker.alive, worker.restarts, dog.restarts) == (False, 0, 0)  # was: (True, 1, 1)
        worker.start(stop)  # started again on purpose: watched again
        assert worker.alive and worker.problem() is None
    finally:
        stop.set()
        worker.join(2)
