"""The ``tensorboard`` observer on its own: its schedule (an SD card sees few writes), its JSON-lines fallback, nothing
imported or written until it is configured and sees events, and the daemon's ``observers:`` entry."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.clock import FakeClock
from appliance.config.tensorboard import TensorBoardObserverConfig
from appliance.events import DecisionMade, EventJoined, StatsTaken
from appliance.observers.base import ObserverHome
from appliance.observers.tensorboard import TensorBoardObserver
from appliance.policy import JoinedEvent, UniformPolicy
from tests.api.conftest import start_daemon
from tests.tensorboard.conftest import hparams, last, read_run, scalars


def joined(policy: UniformPolicy, i: int, reward: float = 1.0) -> EventJoined:
    return EventJoined(JoinedEvent(policy.decide({"room": {"dark": 1.0}}, f"e{i}", 0.0), reward, "on_time", 1, 0.0))


def test_writes_every_n_events_at_most_once_a_second_or_every_t_seconds(tmp_path: Path) -> None:
    clock, policy = FakeClock(0.0), UniformPolicy.of(["on", "off"])
    config = TensorBoardObserverConfig(logdir=tmp_path, run="sd", every_events=100, min_interval_s=1.0, every_s=60.0, format="jsonl")
    observer = TensorBoardObserver(config, home=ObserverHome(policy=policy), clock=clock.time)
    for i in range(1000):  # a burst within one second: no write, however many events
        observer.handle(joined(policy, i))
    assert observer.writes == 0 and not (tmp_path / "sd").exists()
    clock.advance(1.0)
    observer.handle(joined(policy, 1000))
    assert observer.writes == 1
    for i in range(50):  # fewer than every_events: nothing until every_s has passed
        observer.handle(joined(policy, 1001 + i))
    observer.handle(StatsTaken({}))
    assert observer.writes == 1
    clock.advance(60.0)
    observer.handle(StatsTaken({}))  # the daemon's stats snapshot is the schedule's clock when no event comes
    assert observer.writes == 2
    clock.advance(120.0)
    observer.handle(StatsTaken({}))  # nothing joined since: nothing to write
    assert observer.writes == 2
    observer.close()
    observer.close()  # idempotent
    lines = [json.loads(line) for line in (tmp_path / "sd" / "scalars.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines if "scalars" in line] == [1001, 1051]
    assert lines[0]["scalars"]["reward/progressive"] == 1.0 and lines[0]["scalars"]["events/since_last"] == 1001
    assert lines[-1]["hparams"] == {"policy": "uniform"} and lines[-1]["metrics"]["final/events"] == 1051


def test_decision_latency_is_timed_when_asked(tmp_path: Path) -> None:
    policy = UniformPolicy.of(["on", "off"])
    config = TensorBoardObserverConfig(logdir=tmp_path, run="latency", every_events=2, min_interval_s=0, latency=True, format="jsonl")
    observer = TensorBoardObserver(config, home=ObserverHome(policy=policy))
    assert DecisionMade in observer.events()
    assert DecisionMade not in TensorBoardObserver(config.model_copy(update={"latency": False})).events()
    observer.handle(DecisionMade(policy.decide({}, "d1", time.time() - 0.25)))
    observer.handle(joined(policy, 1))
    observer.handle(joined(policy, 2))
    observer.close()
    written = json.loads((tmp_path / "latency" / "scalars.jsonl").read_text().splitlines()[0])["scalars"]
    assert 250 <= written["latency/decision_ms"] == written["latency/decision_ms_max"] < 5000


def test_without_tensorboardx_it_writes_json_lines_and_says_what_to_install(tmp_path: Path) -> None:
    """A subprocess where tensorboardX cannot be imported (as on a Pi without the extra)."""
    code = f"""
import sys
sys.modules["tensorboardX"] = None  # import tensorboardX now raises ImportError
from pathlib import Path
from appliance.config.tensorboard import TensorBoardObserverConfig
from appliance.errors import UsageError
from appliance.observers.base import ObserverHome
from appliance.observers.tensorboard import TensorBoardObserver
from appliance.events import EventJoined
from appliance.policy import JoinedEvent, UniformPolicy
policy = UniformPolicy.of(["on", "off"])
observer = TensorBoardObserver(TensorBoardObserverConfig(logdir=Path({str(tmp_path)!r}), run="pi", every_events=5, min_interval_s=0))
for i in range(12):
    observer.handle(EventJoined(JoinedEvent(policy.decide({{}}, f"e{{i}}", 0.0), 1.0, "on_time", 1, 0.0)))
observer.close()
try:
    TensorBoardObserver(TensorBoardObserverConfig(format="tensorboard"))
except UsageError as err:
    print(err)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert "pip install -e '.[tensorboard]'" in out
    assert [p.name for p in (tmp_path / "pi").iterdir()] == ["scalars.jsonl"]
    lines = (tmp_path / "pi" / "scalars.jsonl").read_text().splitlines()
    assert len(lines) == 4 and '"hparams"' in lines[-1]


def test_nothing_is_imported_or_written_until_it_is_configured_and_sees_events(tmp_path: Path) -> None:
    code = f"""
import sys
from appliance.config import load_config_text
from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.observers import Observers
from pathlib import Path
config = load_config_text("observers: [{{type: recording}}]")
loop = open_loop(config, FakeClock(), Path({str(tmp_path)!r}) / "plain", durable=False)
Observers.start(loop.bus, config.observers, policy=loop.policy).stop()
print("plain", "tensorboardX" in sys.modules)
config = load_config_text("observers: [{{type: tensorboard, logdir: {str(tmp_path / 'tb')!r}}}]")
group = Observers.start(loop.bus, config.observers, Path({str(tmp_path)!r}), policy=loop.policy)
print("configured", "tensorboardX" in sys.modules)
group.stop()
print("stopped", "tensorboardX" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["plain", "False", "configured", "False", "stopped", "False"]
    assert not (tmp_path / "tb").exists()


@pytest.mark.slow
def test_the_daemon_writes_a_run_when_configured(tmp_path: Path) -> None:
    config = ("join:\n  reward_wait_s: 0.5\nsimulation:\n  decision_every_s: 0.02\n  delay:\n    mean_s: 0.1\n"
              "observers:\n  - {type: tensorboard, name: tb, every_events: 40, every_s: 2, min_interval_s: 0.2, "
              "histogram_every: 80, latency: true}\n")
    daemon = start_daemon(tmp_path, config)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with daemon.client() as c:
                tb = c.get("/api/status").json()["observers"]["tb"]
            if tb["writes"] >= 3 and tb["events"] >= 150:
                break
            time.sleep(0.5)
        assert tb["writes"] >= 3 and tb["errors"] == 0 and tb["dropped"] == 0, tb
    finally:
        out = daemon.stop()
    assert daemon.proc.returncode == 0, out
    runs = list((daemon.data_dir / "observers" / "tb").iterdir())
    assert [Path(tb["run"])] == runs  # DATA_DIR/observers/<name>/<start time>
    run = read_run(runs[0])
    points = scalars(run)
    assert last(points, "events/joined") >= 150
    assert 0.0 <= last(points, "value/online_lower") <= last(points, "reward/progressive") <= last(points, "value/online_upper")
    assert 0 < last(points, "latency/decision_ms") <= last(points, "latency/decision_ms_max") < 1000
    assert last(points, "explore/gamma") > 10
    assert run.Histograms("model/weights")
    found, metrics = hparams(runs[0])
    assert found["exploration"] == "squarecb" and metrics["final/events"] >= 150  # written as the daemon stopped


@pytest.mark.slow
def test_the_daemon_does_not_watch_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config without ``observers:``: the live policy value only; no tensorboard observer, no run written, and
    tensorboardX never imported (Python's import-time profile, on the daemon's stderr, lists every module it imports)."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    daemon = start_daemon(tmp_path)  # simulated devices deciding every 0.1 s, rewards after 0.2 s, a wait of 1 s
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with daemon.client() as c:
                configured = {name: o for name, o in c.get("/api/status").json()["observers"].items() if "type" in o}
            if any(o.get("candidates", {}).get("online", {}).get("events") for o in configured.values()):
                break
            time.sleep(0.5)
    finally:
        daemon.stop()
    assert daemon.proc.returncode == 0
    assert [o["type"] for o in configured.values()] == ["policy_value"]
    [(name, value)] = configured.items()
    assert value["candidates"]["online"]["events"] > 0  # joined events reached the observers
    assert [p.name for p in (daemon.data_dir / "observers").iterdir()] == [name]
    imported = [line.rsplit("|", 1)[-1].strip() for line in daemon.log.read_text().splitlines() if line.startswith("import time:")]
    assert "appliance.estimators.value" in imported  # the profile works: the policy value's modules are there
    assert not [m for m in imported if m.split(".")[0] in ("tensorboardX", "tensorboard")]
