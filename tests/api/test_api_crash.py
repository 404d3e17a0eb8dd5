"""``kill -9`` under HTTP load: every decision and reward the API acknowledged is there after a restart."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.api.conftest import start_daemon

# simulated decisions once an hour: the API's are the only ones that matter here
CONFIG = "join:\n  reward_wait_s: 1\n  aggregation: sum\nsimulation:\n  decision_every_s: 3600\n"


def test_kill_9_loses_no_acknowledged_decision_or_reward(tmp_path: Path) -> None:
    running = start_daemon(tmp_path, CONFIG)
    decided: set[str] = set()
    rewarded: dict[str, float] = {}
    stop = threading.Event()

    def client(n: int) -> None:
        with running.client() as c:
            for i in range(100_000):
                if stop.is_set():
                    return
                event_id = f"c{n}-{i}"
                try:
                    r = c.post("/api/decide", json={"context": {"room": {"level": i % 7 / 7}}, "event_id": event_id})
                    if r.status_code != 200:
                        continue
                    decided.add(event_id)
                    if i % 2:
                        value = round((i % 10) / 10, 1)
                        r = c.post("/api/reward", json={"event_id": event_id, "reward": value})
                        if r.status_code == 202:
                            rewarded[event_id] = value
                except httpx.TransportError:
                    return  # the server died under us: whatever was not acknowledged may be lost

    threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(decided) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.proc.send_signal(signal.SIGKILL)
    running.proc.communicate(timeout=10)
    stop.set()
    for t in threads:
        t.join(10)
    assert len(decided) >= 50 and rewarded, (len(decided), len(rewarded))

    again = start_daemon(tmp_path, CONFIG, data_dir=running.data_dir)
    with again.client() as c:
        deadline = time.monotonic() + 15
        while c.get("/api/status").json()["loop"]["pending"] > 1:  # restored decisions join after their wait
            assert time.monotonic() < deadline
            time.sleep(0.2)
    out = again.stop()
    assert again.proc.returncode == 0, out
    logged: dict[str, float] = {}
    for path in sorted((running.data_dir / "events").glob("events-*.dsjson")):
        for line in path.read_text().splitlines():
            if line.strip():
                event = json.loads(line)
                logged[event["EventId"]] = -event["_label_cost"]
    missing = decided - set(logged)
    assert not missing, f"{len(missing)} acknowledged decisions lost, e.g. {sorted(missing)[:5]}"
    wrong = {e: (v, logged[e]) for e, v in rewarded.items() if logged[e] != v}
    assert not wrong, f"acknowledged rewards lost or changed: {list(wrong.items())[:5]}"
