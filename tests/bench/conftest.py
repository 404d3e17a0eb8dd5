"""One ``wabbit bench --quick`` run for the whole session: the CLI's smoke test reads it whole, the client, gRPC
and sink tests read their entries from it instead of running them again (the quick run takes minutes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.bench.quick import QuickRun


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> QuickRun:
    tmp = tmp_path_factory.mktemp("quick-bench")
    out, history = tmp / "quick.json", tmp / "history"
    proc = subprocess.run([sys.executable, "-m", "appliance", "bench", "--quick", "--json", str(out), "--history",
                           str(history)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return QuickRun(proc, json.loads(out.read_text()), history)
