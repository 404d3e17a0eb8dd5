"""Shared fixtures: a fake clock and small configs."""

from __future__ import annotations

import os
import socket
from typing import Any, Iterator

import pytest

from appliance.clock import FakeClock

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_700_000_000.0)


@pytest.fixture
def page() -> Iterator[Any]:
    """A headless Chromium page at a phone's size (skips without Playwright; see tests/browser.py)."""
    from tests.browser import browser_page

    with browser_page() as pg:
        yield pg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
