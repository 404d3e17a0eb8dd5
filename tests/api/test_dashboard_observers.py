"""The dashboard's Observers table in headless Chromium: each observer on the bus by name and kind (a configured one, as
a plug-in's would be), alive, what it was delivered; one that fails or stopped, with its last error."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.api.conftest import FAST, daemon_running
from tests.browser import console_errors, log_in, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="tests/requirements/api.txt installs playwright")

pytestmark = needs_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Page

CONFIG = FAST + "policy:\n  type: linucb\nobservers:\n  - {type: recording, keep: 10}\n"
FAILING = ("{'jsonl-0': {type: 'jsonl', alive: false, errors: 3, last_error: 'OSError: No space left on device', delivered: 5, "
           "dropped: 2}}")


def test_the_observers_table_names_each_observer_its_kind_and_its_trouble(tmp_path: Path, page: Page) -> None:
    pg, expect = page, sync_api.expect
    with daemon_running(tmp_path, CONFIG) as running:
        errors = console_errors(pg, expected=("401", "409"))  # 409: a linucb policy has no VW model to explain
        pg.goto(running.base)
        log_in(pg, running.token)
        row = pg.locator("#observers tr", has_text="recording-0 (recording)")
        expect(row).to_contain_text("alive", timeout=15_000)
        expect(row).to_contain_text(re.compile(r"(^|\D)[1-9]\d* delivered"), timeout=15_000)  # the loop's events reach it
        text, flagged = pg.evaluate(f"() => {{ onObservers({FAILING}); return [$('observers').innerText, "
                                    "$('observers').querySelector('td.error') !== null]; }")
        assert "jsonl-0 (jsonl)\tstopped, 3 errors (OSError: No space left on device)\t5 delivered, 2 dropped" in text and flagged, text
        assert not errors, errors
