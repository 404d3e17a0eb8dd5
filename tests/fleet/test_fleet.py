"""A fleet on loopback: three appliances (separate ``wabbit run`` processes, logging-only, a model source) ship
their raw decisions and rewards over HTTP to ``wabbit fleet`` (the SQLite join), which joins, learns and
publishes the models they pull. One appliance and then the central job are killed with kill -9 mid-run and
restarted: every decision an appliance logged is joined exactly once, and the policy the fleet learned earns
well above uniform random on the linear world."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.server.access_token import load_or_create_token
from appliance.storage import dsjson
from tests.api.conftest import Running
from tests.conftest import free_port

pytestmark = pytest.mark.slow
WAIT_S, GRACE_S = 1.0, 2.0


def appliance_config(name: str, port: int, token_file: Path) -> str:
    """An appliance shipping with the collector's token (its sink's token_file, its model source's header)."""
    token = token_file.read_text().strip()
    return f"""
join: {{reward_wait_s: {WAIT_S}}}
simulation: {{world: linear, decision_every_s: 0.05, delay: {{mean_s: 0.2}}, missing: 0.05, duplicate: 0.05}}
learning: {{mode: logging_only}}
model_source: {{type: http, url: "http://127.0.0.1:{port}/model", interval_s: 1.0, headers: {{Authorization: "Bearer {token}"}}}}
log_sinks:
  - {{type: http, url: "http://127.0.0.1:{port}/ingest", stream: raw, mode: block, batch_interval_s: 0.2, retry_max_s: 0.5,
     token_file: "{token_file}", headers: {{X-Wabbit-Source: {name}}}}}
"""


def start_appliance(directory: Path, name: str, port: int, token_file: Path) -> Running:
    """``wabbit run`` for one appliance, healthy (a shared machine under load may take a while to start it)."""
    (directory / "config.yaml").write_text(appliance_config(name, port, token_file))
    http, data = free_port(), directory / "data"
    with open(directory / "daemon.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "appliance", "run", "--port", str(http), "--data-dir", str(data),
                                 "--config", str(directory / "config.yaml")], stdout=log, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"})
    wait_for(f"http://127.0.0.1:{http}/healthz", proc, directory / "daemon.log")
    return Running(proc, f"http://127.0.0.1:{http}", data, (data / "token").read_text().strip(), 0.0, directory / "daemon.log")


def wait_for(url: str, proc: subprocess.Popen[Any], log: Path, token: str = "") -> None:
    deadline = time.monotonic() + 90
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(timeout=2, headers=headers) as poll:  # one client: each new one loads the CA bundle
        while True:
            try:
                if poll.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)


def start_central(root: Path, config: Path, port: int) -> subprocess.Popen[bytes]:
    root.mkdir(exist_ok=True)
    token, _ = load_or_create_token(root)  # made before its first start, as an operator would, to hand out
    with open(root / "central.log", "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "appliance", "fleet", "--dir", str(root), "--config", str(config),
                             "--port", str(port), "--grace-s", str(GRACE_S), "--publish-every-s", "1"],
                                stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"})
    wait_for(f"http://127.0.0.1:{port}/status", proc, root / "central.log", token)
    return proc


def logged_decisions(data_dir: Path) -> set[str]:
    import orjson

    ids = set()
    for path in (data_dir / "events").glob("raw*"):
        for line in path.read_bytes().splitlines():
            record = orjson.loads(line)
            if record["kind"] == "decision":
                ids.add(record["event_id"])
    return ids


def joined_events(root: Path) -> list[tuple[str, float, float, int]]:
    """(event id, reward, probability, actions) of every joined line, in order."""
    out = []
    for path in sorted((root / "joined").glob("*.dsjson")):
        for line in path.read_bytes().splitlines():
            event, _ = dsjson.decode(line)
            d = event.decision
            out.append((d.event_id, event.reward, d.probability, len(d.actions)))
    return out


def test_three_appliances_ship_the_central_side_joins_learns_and_publishes(tmp_path: Path) -> None:
    port, root = free_port(), tmp_path / "central"
    config = tmp_path / "fleet.yaml"
    load_or_create_token(root)
    config.write_text(appliance_config("central", port, root / "token"))
    central = start_central(root, config, port)
    appliances: dict[str, Running] = {}
    try:
        for name in ("pi1", "pi2", "pi3"):
            (tmp_path / name).mkdir()
            appliances[name] = start_appliance(tmp_path / name, name, port, root / "token")
        time.sleep(12)
        os.kill(appliances["pi2"].proc.pid, signal.SIGKILL)  # an appliance dies mid-run...
        appliances["pi2"].proc.wait(10)
        appliances["pi2"] = start_appliance(tmp_path / "pi2", "pi2", port, root / "token")
        time.sleep(6)
        os.kill(central.pid, signal.SIGKILL)  # ...and the central job
        central.wait(10)
        time.sleep(2)  # the appliances keep logging; their sinks retry
        central = start_central(root, config, port)
        time.sleep(25)
        for name, running in appliances.items():
            with running.client() as c:
                status = c.get("/api/status").json()
            assert status["model_source"]["installed"] >= 2 and status["model_source"]["refused"] == 0, (name, status["model_source"])
            assert status["loop"]["learning"] == {"mode": "logging_only"}
    finally:
        for running in appliances.values():
            running.proc.send_signal(signal.SIGTERM)
        for running in appliances.values():
            running.proc.wait(60)
        if sys.exc_info()[0] is not None:
            central.kill()
            central.wait(10)
    deadline = time.monotonic() + 30
    logged = set().union(*(logged_decisions(r.data_dir) for r in appliances.values()))
    while {e[0] for e in joined_events(root)} < logged:
        assert time.monotonic() < deadline, len(logged - {e[0] for e in joined_events(root)})
        time.sleep(0.5)
    central.send_signal(signal.SIGTERM)
    assert central.wait(30) == 0, (root / "central.log").read_text()
    joined = joined_events(root)
    ids = [e[0] for e in joined]
    assert len(ids) == len(set(ids)), "a decision was joined twice"
    assert len(logged) > 1500 and set(ids) == logged  # none lost, none invented
    late = joined[-len(joined) // 3:]
    mean = sum(e[1] for e in late) / len(late)
    uniform = sum(e[1] / (e[2] * e[3]) for e in late) / len(late)  # IPS estimate of uniform random
    print(f"fleet: {len(joined)} joined; mean reward of the last third {mean:.3f}, uniform random {uniform:.3f}")
    assert mean > uniform + 0.3, (mean, uniform)
