"""A fleet on loopback: three appliances (separate ``wabbit run`` processes, logging-only, a model source) ship
their raw decisions and rewards over HTTP to ``wabbit fleet`` (the SQLite join), which joins, learns and
publishes the models they pull. One appliance and then the central job (each for longer than the join's grace)
are killed with kill -9 mid-run and restarted: the joined output is the exact reference join of every decision
and reward the appliances' sinks had acknowledged (each decision once, with the rewards of its wait: the join
waits for each appliance's own log), and the policy the fleet learned earns well above uniform random on the
linear world."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from appliance.config import JoinConfig
from appliance.fleet.files import parse_lines
from appliance.fleet.records import DecisionIn, Record, reference_join
from appliance.server.access_token import load_or_create_token
from appliance.storage import dsjson
from tests.api.conftest import Running
from tests.conftest import free_port

pytestmark = pytest.mark.slow
WAIT_S, GRACE_S, IDLE_S = 1.0, 5.0, 90.0
"""The grace is shorter than an appliance's restart (on two loaded cores, 5 to 30 s): the rewards the killed one
had acknowledged but not yet logged come with its restart, and its decisions wait for its log, not the clock. The
idle timeout is well above that restart; the decisions the appliances made last close by it at the end."""


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
                             "--port", str(port), "--grace-s", str(GRACE_S), "--idle-timeout-s", str(IDLE_S),
                                 "--publish-every-s", "1"],
                                stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", "OPENBLAS_NUM_THREADS": "1"})
    wait_for(f"http://127.0.0.1:{port}/status", proc, root / "central.log", token)
    return proc


def acknowledged(data_dir: Path) -> list[Record]:
    """The decisions and rewards of an appliance's raw log up to its http sink's cursor: what the collector acknowledged."""
    cursor = orjson.loads((data_dir / "sinks" / "http-0.cursor").read_bytes())
    lines: list[bytes] = []
    for path in sorted((data_dir / "events").glob("raw-*.jsonl")):
        segment = int(path.stem.rsplit("-", 1)[1])
        if segment < cursor["segment"]:
            lines += path.read_bytes().splitlines()
        elif segment == cursor["segment"]:
            lines += path.read_bytes()[:cursor["offset"]].splitlines()
    records, _, malformed = parse_lines(lines, 0.0)
    assert malformed == 0
    return records


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
        killed = time.monotonic()
        appliances["pi2"] = start_appliance(tmp_path / "pi2", "pi2", port, root / "token")
        restart_s = time.monotonic() - killed
        time.sleep(6)
        os.kill(central.pid, signal.SIGKILL)  # ...and the central job
        central.wait(10)
        time.sleep(GRACE_S + 5)  # down for longer than the grace: the appliances keep logging; their sinks retry
        central = start_central(root, config, port)
        time.sleep(GRACE_S + 15)  # the restarted join holds its closes for the grace; the appliances pull new models
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
    deadline = time.monotonic() + IDLE_S + 2 * GRACE_S + 30  # the last decisions wait for the idle timeout
    shipped = {name: acknowledged(a.data_dir) for name, a in appliances.items()}
    records = [r for rs in shipped.values() for r in rs]
    # Never passed by their appliance's log (its newest time, less the wait and the grace): they close by the idle timeout.
    unpassed = len({r.event_id for rs in shipped.values() for r in rs if isinstance(r, DecisionIn)
                    and r.timestamp + WAIT_S + GRACE_S > max(x.timestamp for x in rs)})
    want = reference_join(records, JoinConfig(reward_wait_s=WAIT_S))
    decided = Counter(r.event_id for r in records if isinstance(r, DecisionIn))
    restored = {e for e, n in decided.items() if n > 1}  # pi2's pending decisions, logged again with their rewards at its restart
    logged = set(want)
    while {e[0] for e in joined_events(root)} < logged:
        assert time.monotonic() < deadline, len(logged - {e[0] for e in joined_events(root)})
        time.sleep(0.5)
    with httpx.Client(timeout=5, headers={"Authorization": f"Bearer {load_or_create_token(root)[0]}"}) as c:
        closed_idle = c.get(f"http://127.0.0.1:{port}/status").json()["join"]["closed_idle"]
    central.send_signal(signal.SIGTERM)
    assert central.wait(30) == 0, (root / "central.log").read_text()
    joined = joined_events(root)
    ids = [e[0] for e in joined]
    assert len(ids) == len(set(ids)), "a decision was joined twice"
    assert len(logged) > 1500 and set(ids) == logged  # none lost, none invented
    rewarded = {e[0]: round(e[1], 9) for e in joined}
    wrong = {k: (rewarded[k], v, n) for k, (v, n) in want.items() if rewarded[k] != v}  # a reward lost or invented
    assert not wrong, (len(wrong), sorted(wrong.items())[:5], len(set(wrong) & restored), restart_s)
    assert 0 < closed_idle <= unpassed, (closed_idle, unpassed)  # only the decisions made last, once the appliances stopped
    assert sum(n > 0 for _, n in want.values()) > 0.8 * len(want) and any(n == 0 for _, n in want.values())
    late = joined[-len(joined) // 3:]
    mean = sum(e[1] for e in late) / len(late)
    uniform = sum(e[1] / (e[2] * e[3]) for e in late) / len(late)  # IPS estimate of uniform random
    print(f"fleet: {len(joined)} joined ({sum(n > 0 for _, n in want.values())} with rewards, {len(restored)} logged again at pi2's "
          f"restart, {closed_idle} closed by the idle timeout, of {unpassed} made last); mean reward of the last third {mean:.3f}, uniform random "
          f"{uniform:.3f}; pi2 restarted in {restart_s:.0f} s (grace {GRACE_S:.0f} s)")
    assert mean > uniform + 0.3, (mean, uniform)
