"""docs/embedded.md's example as a user runs it: its client.json in a file, its Python block run as written in that
directory, which prints a decision over the two actions and an accepted reward, and warns of the ignored key."""

from __future__ import annotations

import logging
import re
import runpy
from pathlib import Path

import pytest

PAGE = Path(__file__).parents[2] / "docs" / "embedded.md"


def test_the_pages_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                           caplog: pytest.LogCaptureFixture) -> None:
    client = re.search(r"```json\n(.*?)```", PAGE.read_text(), re.S)
    program = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert client and program, "docs/embedded.md: no client.json or no Python example"
    monkeypatch.chdir(tmp_path)
    Path("client.json").write_text(client.group(1))
    Path("example.py").write_text(program.group(1))
    with caplog.at_level(logging.WARNING, logger="appliance.embedded.live_model"):
        runpy.run_path("example.py")
    chosen, accepted = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"(news|sports) \[\('news', [\d.]+\), \('sports', [\d.]+\)\]", chosen) and accepted == "accepted"
    assert [r.getMessage() for r in caplog.records] == ["client.json keys with no equivalent here, ignored: ApplicationID."]
    assert (tmp_path / "wabbit-data" / "wal.sqlite").exists()
