"""A log sink's shipper in a child process of its own (appliance/sinks/process.py): it ships what the daemon's log
has synced, drains when asked, reports its stats and block mode's hold through the daemon, is started again when it
dies, and ends when the daemon is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from pydantic import TypeAdapter, ValidationError

from appliance.config.log_sinks import LogSinkConfig
from appliance.sinks import ShipperProcess, SinkError
from appliance.storage.eventlog import EventLog
from appliance.storage.log_segments import LogPosition
from tests.api.conftest import FAST, start_daemon
from tests.devices.test_log_sinks import LINES, ROOT


def host_for(raw: dict[str, Any], log: EventLog, tmp_path: Path, name: str = "sink") -> ShipperProcess:
    config = TypeAdapter(LogSinkConfig).validate_python(raw)
    return ShipperProcess(config, name, log, tmp_path / "sinks" / f"{name}.cursor", 0.05)


def shipped(inbox: Path) -> list[bytes]:
    return [line for f in sorted(inbox.glob("*.jsonl")) for line in f.read_bytes().splitlines(keepends=True)]


def gone(pid: int) -> bool:
    """The process ended (a zombie nobody reaped yet counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    events = EventLog(tmp_path / "events", segment_bytes=512, keep_segments=1)
    yield events
    events.close()


def test_a_child_ships_only_synced_lines_and_drains_what_is_left_when_asked(tmp_path: Path) -> None:
    inbox, log = tmp_path / "inbox", EventLog(tmp_path / "events", 1 << 20)  # one segment: no full batch waits
    host = host_for({"type": "directory", "path": str(inbox), "batch_interval_s": 3600}, log, tmp_path)
    log.write(LINES[:5])
    log.sync()  # logged before the child has started: a new sink ships it (its cursor is saved at once)
    host.start()
    try:
        log.write(LINES[5:])  # written, not synced: not shipped
        assert host.drain(10.0) and shipped(inbox) == LINES[:5]
        log.sync()
        time.sleep(0.3)  # the child steps, but its batch interval (an hour) holds the rest...
        assert shipped(inbox) == LINES[:5]
        assert host.drain(10.0)  # ...until a drain (a clean shutdown's)
        assert shipped(inbox) == LINES
        stats = host.stats()
        assert stats["shipped_lines"] == len(LINES) and stats["batches"] == 2 and stats["backlog_bytes"] == 0
        assert stats["pid"] == host.pid and stats["restarts"] == 0 and stats["type"] == "directory"
    finally:
        host.stop()
        host.release()
        log.close()
    assert json.loads((tmp_path / "sinks" / "sink.cursor").read_text())["offset"] == log.synced.offset


def test_block_mode_holds_the_log_from_the_childs_cursor_and_its_failures_show(log: EventLog, tmp_path: Path) -> None:
    blocked = tmp_path / "inbox"
    blocked.write_text("")  # a file where the directory should be: every batch fails
    host = host_for({"type": "directory", "path": str(blocked), "mode": "block", "batch_interval_s": 0.01}, log, tmp_path)
    host.start()
    try:
        for line in LINES:
            log.write([line])
            log.sync()
        assert not host.drain(10.0)
        stats = host.stats()
        assert stats["failures"] >= 1 and "cannot write to" in stats["last_error"] and stats["backlog_bytes"] > 512
        log.prune(log.synced)  # a checkpoint: only the hold keeps the old segments
        assert host.held() == LogPosition(1, 0) and log.segments()[0] == 1 and len(log.segments()) >= 3
        blocked.unlink()
        blocked.mkdir()
        deadline = time.monotonic() + 10
        while not host.drain(10.0):
            assert time.monotonic() < deadline, host.stats()
        assert shipped(blocked) == LINES  # every line, from the segments the hold kept
        assert host.held() == log.synced
        log.prune(log.synced)
        assert log.segments() == [log.synced.segment]
    finally:
        host.stop()
        host.release()
    log.prune(log.synced)


def test_a_child_that_dies_is_started_again_counted_and_goes_on_from_its_cursor(log: EventLog, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    host = host_for({"type": "directory", "path": str(inbox), "batch_interval_s": 0.01}, log, tmp_path)
    host.start()
    try:
        log.write(LINES[:25])
        log.sync()
        assert host.drain(10.0)
        first = host.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        while not gone(first):
            time.sleep(0.01)
        host.watch()  # the sink-NAME worker's step
        assert host.restarts == 1 and host.last_exit == "killed by SIGKILL" and host.pid not in (None, first)
        log.write(LINES[25:])
        log.sync()
        assert host.drain(10.0)
        assert shipped(inbox) == LINES
        assert host.stats()["shipped_lines"] == len(LINES) and host.stats()["restarts"] == 1  # the counters carried over
        second = host.pid
        assert second is not None
        os.kill(second, signal.SIGTERM)  # ignored: the daemon stops it (a service stop signals the whole group)
        assert host.drain(10.0) and host.pid == second
        os.kill(second, signal.SIGKILL)  # dying young again: it waits a second
        while not gone(second):
            time.sleep(0.01)
        host.watch()
        assert host.restarts == 2 and host.pid == second
        time.sleep(1.1)
        host.watch()
        assert host.pid not in (None, second) and host.drain(10.0)
    finally:
        host.stop()
        host.release()


def test_a_sink_that_cannot_be_built_is_refused_with_its_reason(log: EventLog, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must start with redis://"):
        TypeAdapter(LogSinkConfig).validate_python({"type": "redis", "url": "http://127.0.0.1:6379/0"})
    host = host_for({"type": "redis", "url": "redis://127.0.0.1:notaport/0"}, log, tmp_path)
    try:
        with pytest.raises(SinkError, match="log sink sink cannot start: Port could not be cast"):
            host.start()
        assert host.pid is None
        stats = host.stats()  # the child's stats say why; the daemon's own knowledge of the sink stays beside them
        assert stats["last_error"].startswith("cannot start") and stats["type"] == "redis", stats
        assert stats["since_first_start"]["counts"] == ["shipped_lines", "batches", "failures", "dropped_lines"], stats
    finally:
        host.release()


def test_the_child_ends_when_the_daemon_is_killed(tmp_path: Path) -> None:
    daemon = f"""
import sys, time
from pathlib import Path
from tests.devices.test_log_sink_process import host_for
from appliance.storage.eventlog import EventLog
log = EventLog(Path({str(tmp_path / 'events')!r}), 1 << 20)
host = host_for({{"type": "directory", "path": {str(tmp_path / 'inbox')!r}}}, log, Path({str(tmp_path)!r}))
host.start()
log.write([b'{{"EventId":"e1"}}\\n']); log.sync()
assert host.drain(10.0)
print(host.pid, flush=True)
time.sleep(60)
"""
    proc = subprocess.Popen([sys.executable, "-c", daemon], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    assert not gone(child) and shipped(tmp_path / "inbox") == [b'{"EventId":"e1"}\n']
    proc.kill()
    proc.wait()
    proc.stdout.close()
    deadline = time.monotonic() + 5
    while not gone(child):
        assert time.monotonic() < deadline, "the shipper's child outlived the daemon"
        time.sleep(0.02)


def test_a_config_change_ends_the_old_sinks_child_and_starts_the_new_ones(tmp_path: Path) -> None:
    first, second = tmp_path / "inbox-1", tmp_path / "inbox-2"
    running = start_daemon(tmp_path, FAST + f"log_sinks:\n  - {{type: directory, path: {first}, name: one, batch_interval_s: 0.2}}\n")
    try:
        with running.client() as c:
            old = c.get("/api/status").json()["log_sinks"]["one"]
            assert old["pid"] and not gone(old["pid"]) and old["restarts"] == 0
            text = c.get("/api/config").json()["yaml"]
            bad = text.replace(f"{{type: directory, path: {first}, name: one,", "{type: redis, url: 'redis://127.0.0.1:x/0', name: one,")
            r = c.put("/api/config", json={"yaml": bad})
            assert r.status_code == 422 and "cannot start: Port could not be cast" in r.text, r.text
            again = c.get("/api/status").json()["log_sinks"]
            assert list(again) == ["one"] and not gone(again["one"]["pid"])  # the rollback runs the old sink again
            old = again["one"]
            r = c.put("/api/config", json={"yaml": text.replace(f"path: {first}, name: one", f"path: {second}, name: two")})
            assert r.status_code == 200 and "sink-two" in r.json()["restarted"], r.text
            sinks = c.get("/api/status").json()["log_sinks"]
            assert list(sinks) == ["two"] and gone(old["pid"]) and not gone(new := sinks["two"]["pid"])
            deadline = time.monotonic() + 30
            while not list(second.glob("*.jsonl")):
                assert time.monotonic() < deadline, c.get("/api/status").json()["log_sinks"]
                time.sleep(0.1)
    finally:
        running.stop()
    assert running.proc.returncode == 0 and gone(new)


WITHOUT_SINKS = """
import sys, tempfile
from pathlib import Path
from appliance.bus import EventBus
from appliance.clock import SystemClock
from appliance.config import AppConfig
from appliance.supervisor import Supervisor
with tempfile.TemporaryDirectory() as tmp:
    supervisor = Supervisor(AppConfig(), Path(tmp), None, None, EventBus(), SystemClock(), lambda config: None)
    supervisor.start()
    try:
        print(supervisor.loop is not None, "appliance.sinks" in sys.modules)
    finally:
        supervisor.stop()
"""


def test_a_loop_without_log_sinks_imports_none_of_their_modules() -> None:
    """A part the config leaves out costs nothing: the shipper and its child process's modules (1 MB resident) wait
    for a log sink."""
    done = subprocess.run([sys.executable, "-c", WITHOUT_SINKS], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"], "the loop did not start, or it imported appliance.sinks"


CHILD_IMPORTS = """
import sys
import appliance.sinks.child
from appliance.registry import REGISTRY
for kind in REGISTRY.kinds("log_sinks").values():  # what the child imports to build each built-in kind
    kind.config_class(), kind.implementation_class()
print(*sorted(sys.modules))
"""
NOT_IN_THE_CHILD = (
    "appliance.config.app", "appliance.config.actuators", "appliance.config.sensing", "appliance.config.simulation",
    "appliance.config.vw_policy", "featurizers", "appliance.storage.wal", "appliance.storage.checkpoints",
    "appliance.join", "appliance.policy", "sqlite3",
)
"""The whole config tree (every role's configs, the featurizers'), the write-ahead log (SQLite, the joiner) and the
checkpoints: 7.5 MB of a child's 41 MB resident, which a Pi with 512 MB pays again for every log sink."""


def test_a_childs_imports_are_its_sinks_not_the_whole_appliance() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD_IMPORTS], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    imported = set(done.stdout.split())
    assert {"appliance.sinks.directory", "appliance.sinks.http", "appliance.config.log_sinks"} <= imported
    assert sorted(imported & set(NOT_IN_THE_CHILD)) == []

def test_a_child_goes_on_from_the_cursor_files_counters_when_they_are_ahead_of_the_daemons(log: EventLog, tmp_path: Path) -> None:
    """A child that ended after saving its cursor, before the daemon read its stats: the file's counters are newer."""
    inbox = tmp_path / "inbox"
    host = host_for({"type": "directory", "path": str(inbox)}, log, tmp_path)  # reads the cursor file: counters 0
    cursor = tmp_path / "sinks" / "sink.cursor"
    saved = json.loads(cursor.read_text())
    cursor.write_text(json.dumps(saved | {"counters": saved["counters"] | {"shipped_lines": 40, "batches": 4}}))
    host.start()
    try:
        log.write(LINES[:5])
        log.sync()
        assert host.drain(10.0) and len(shipped(inbox)) == 5
        stats = host.stats()
        assert (stats["shipped_lines"], stats["batches"]) == (45, 5), stats
    finally:
        host.stop()
        host.release()
