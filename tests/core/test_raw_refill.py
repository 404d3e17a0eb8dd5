"""After a crash, the raw lines of records acknowledged since the last sync exist only in the write-ahead log:
recovery writes them to the raw log again. A start that failed before its recovery (a sink that would not start,
say) used to close with the mark that says the raw log holds them, so the next start skipped them for good."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from appliance.assemble import open_loop
from appliance.clock import SystemClock
from appliance.config import AppConfig

ROOT = Path(__file__).resolve().parents[2]
CONFIG: dict[str, Any] = {"policy": {"actions": [{"id": "a"}, {"id": "b"}]}, "join": {"reward_wait_s": 600},
                          "simulation": None, "log_sinks": [{"type": "directory", "path": "inbox", "name": "raw", "stream": "raw"}]}
CRASH = """
import json, os, sys
from pathlib import Path
from appliance.assemble import open_loop
from appliance.clock import SystemClock
from appliance.config import AppConfig
loop = open_loop(AppConfig.model_validate(json.loads(sys.argv[1])), SystemClock(), Path(sys.argv[2]))
loop.recover()
for i in range(5):
    loop.decide({"s": {"x": 1.0}}, event_id=f"e{i}")[1].wait()  # acknowledged: in the WAL
os._exit(9)  # before the raw log's sync
"""


def raw_event_ids(data: Path) -> set[str]:
    return {json.loads(line)["event_id"] for f in (data / "events").glob("raw-*.jsonl") for line in f.read_text().splitlines()}


def test_a_start_that_fails_before_recovery_leaves_the_raw_refill_to_the_next_start(tmp_path: Path) -> None:
    config = CONFIG | {"log_sinks": [{**CONFIG["log_sinks"][0], "path": str(tmp_path / "inbox")}]}
    crashed = subprocess.run([sys.executable, "-c", CRASH, json.dumps(config), str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert crashed.returncode == 9, crashed.stderr
    assert not raw_event_ids(tmp_path) & {f"e{i}" for i in range(5)}  # lost with the process: the WAL holds them
    app = AppConfig.model_validate(config)
    open_loop(app, SystemClock(), tmp_path).close()  # a start that failed before recover() (the supervisor closes it)
    loop = open_loop(app, SystemClock(), tmp_path)
    loop.recover()
    loop.close()
    assert {f"e{i}" for i in range(5)} <= raw_event_ids(tmp_path)
