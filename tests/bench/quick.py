"""The session's one ``wabbit bench --quick`` run, as the tests read it (made by ``conftest.quick_run``)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class QuickRun:
    """A finished ``wabbit bench --quick --json OUT --history DIR``: what it printed, its report and history folder."""

    proc: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    history: Path

    def results(self, prefix: str) -> dict[str, Any]:
        """The entries whose names start with ``prefix``."""
        return {name: r for name, r in self.report["results"].items() if name.startswith(prefix)}
