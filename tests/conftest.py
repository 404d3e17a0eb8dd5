"""Shared fixtures: a fake clock and small configs."""

from __future__ import annotations

import os
import socket

import pytest

from appliance.clock import FakeClock

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
