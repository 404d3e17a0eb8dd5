"""Log sinks against real servers on loopback (a directory, uvicorn, mosquitto, redis-server), the shipper's
retries, cursor, drop and block modes, and a daemon that is killed while it ships: nothing acknowledged is lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import TypeAdapter, ValidationError

from appliance.assemble import open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.config.log_sinks import LogSinkConfig
from appliance.loop import Loop
from appliance.registry import REGISTRY
from appliance.sinks import RecordingSink, Shipper
from appliance.storage.eventlog import EventLog
from tests.api.conftest import FAST, start_daemon

ROOT = Path(__file__).parents[2]
LINES = [json.dumps({"EventId": f"e{i}", "n": i}).encode() + b"\n" for i in range(50)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shipper_for(raw: dict[str, Any], log: EventLog, tmp_path: Path, name: str = "sink") -> Shipper:
    config = TypeAdapter(LogSinkConfig).validate_python({"batch_interval_s": 0.01, **raw})
    return Shipper(REGISTRY.build("log_sinks", config, name=name), log, config, tmp_path / "sinks" / f"{name}.cursor")


def ship_all(shipper: Shipper, deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while shipper.backlog_bytes():
        assert time.monotonic() < deadline, shipper.stats()
        shipper.step()
        time.sleep(0.02)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    events = EventLog(tmp_path / "events", 1 << 20)
    yield events
    events.close()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; tests/run installs it (tests/apt/sinks.txt)")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path_factory.mktemp("redis"))], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A uvicorn server on loopback that keeps every POSTed batch (and answers 503 to the first one)."""
    got: list[tuple[str, bytes]] = []
    app, calls = FastAPI(), {"n": 0}

    @app.post("/ingest")
    async def ingest(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(status_code=503)  # a receiver that is not ready yet: the batch comes again
        got.append((request.headers["x-wabbit-batch"], await request.body()))
        return Response(status_code=204)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/ingest", got
    server.should_exit = True
    thread.join(10)


def test_directory_http_mqtt_and_redis_receive_every_line(log: EventLog, tmp_path: Path, receiver: Any, mosquitto: Any,
                                                          redis_server: str) -> None:
    url, posted = receiver
    heard: list[bytes] = []
    listener = mosquitto.client(lambda topic, payload: heard.append(payload), ("fleet/log",))
    time.sleep(0.3)
    shippers = [shipper_for({"type": "directory", "path": str(tmp_path / "inbox"), "prefix": "pi1"}, log, tmp_path, "dir"),
                shipper_for({"type": "http", "url": url}, log, tmp_path, "http"),
                shipper_for({"type": "mqtt", "host": mosquitto.host, "port": mosquitto.port, "topic": "fleet/log"}, log, tmp_path, "mqtt"),
                shipper_for({"type": "redis", "url": redis_server, "key": "fleet:log"}, log, tmp_path, "redis")]
    log.write(LINES)
    log.sync()
    try:
        for shipper in shippers:
            ship_all(shipper)
        files = sorted((tmp_path / "inbox").iterdir())
        assert b"".join(f.read_bytes() for f in files) == b"".join(LINES) and files[0].name.startswith("pi1-joined-000001-")
        assert b"".join(body for _, body in posted) == b"".join(LINES)
        assert shippers[1].stats()["failures"] == 1  # the 503 was retried, whole
        deadline = time.monotonic() + 5
        while b"".join(heard) != b"".join(LINES):
            assert time.monotonic() < deadline, len(heard)
            time.sleep(0.05)
        entries = redis.Redis.from_url(redis_server).xrange("fleet:log")
        assert [fields[b"line"] + b"\n" for _, fields in entries] == LINES  # one entry per line, in order
        assert {fields[b"batch"] for _, fields in entries} == {b"joined-000001-000000000000"}  # where the batch starts
    finally:
        listener.loop_stop()
        listener.disconnect()
        for shipper in shippers:
            shipper.close()


def test_the_http_sink_keeps_its_connection_and_resends_at_once_on_one_the_receiver_closed(log: EventLog, tmp_path: Path,
                                                                                        receiver: Any) -> None:
    url, posted = receiver
    kept = shipper_for({"type": "http", "url": url}, log, tmp_path, "kept")
    got: list[bytes] = []

    class ClosesAfterEachAnswer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # it answers as if it kept the connection, then closes it (an idle timeout)

        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), ClosesAfterEachAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    closing = shipper_for({"type": "http", "url": f"http://127.0.0.1:{server.server_port}/ingest"}, log, tmp_path, "closing")
    try:
        for line in LINES[:4]:
            log.write([line])
            log.sync()
            before = kept.stats()["connections"]
            ship_all(kept)  # the receiver's first answer is a 503 (unless an earlier test had it): a new connection after it
            assert line is LINES[0] or kept.stats()["connections"] == before  # the batch went on the kept connection
            ship_all(closing)
        assert posted[-1][1] == LINES[3] and got == LINES[:4]
        assert closing.failures == 0 and closing.stats()["connections"] == 4  # sent again at once, on a new connection
    finally:
        kept.close()
        closing.close()
        server.shutdown()
        server.server_close()


def test_redis_resends_a_refused_batch_reconnects_and_trims_the_stream(log: EventLog, tmp_path: Path, redis_server: str) -> None:
    client = redis.Redis.from_url(redis_server)
    client.set("trimmed:log", "not a stream")  # every XADD on it fails (WRONGTYPE)
    shipper = shipper_for({"type": "redis", "url": redis_server, "key": "trimmed:log", "max_length": 1000}, log, tmp_path)
    lines = [json.dumps({"EventId": f"t{i}"}).encode() + b"\n" for i in range(6000)]
    log.write(lines[:20])
    log.sync()
    try:
        shipper.step()
        assert (shipper.failures, shipper.shipped_lines) == (1, 0) and "WRONGTYPE" in str(shipper.last_error)
        client.delete("trimmed:log")
        log.write(lines[20:3000])  # one batch: its replies (entry ids) come in several reads
        log.sync()
        ship_all(shipper)
        assert shipper.shipped_lines == 3000 and shipper.batches == 1
        assert client.client_kill_filter(_type="normal", skipme=True) >= 1  # the sink's connection among them: it reconnects
        log.write(lines[3000:])
        log.sync()
        ship_all(shipper)
        assert shipper.shipped_lines == 6000
        assert 1000 <= client.xlen("trimmed:log") < 6000  # MAXLEN ~ 1000: trimmed by whole nodes, never below
        newest = client.xrevrange("trimmed:log", count=1)[0][1]
        assert newest[b"line"] + b"\n" == lines[-1] and newest[b"batch"].startswith(b"joined-000001-")
    finally:
        shipper.close()


def test_an_mqtt_sink_topic_is_one_topic_not_a_filter() -> None:
    with pytest.raises(ValidationError, match="wildcard"):
        TypeAdapter(LogSinkConfig).validate_python({"type": "mqtt", "topic": "fleet/+/log"})
    assert TypeAdapter(LogSinkConfig).validate_python({"type": "mqtt", "topic": "fleet/pi-1/log"}).topic == "fleet/pi-1/log"


def test_the_cursor_survives_a_restart_and_a_failed_batch_is_sent_again(log: EventLog, tmp_path: Path) -> None:
    first = shipper_for({"type": "directory", "path": str(tmp_path / "x")}, log, tmp_path)
    log.write(LINES[:10])
    log.sync()
    first.sink = RecordingSink()
    first.sink.failing = 1
    first.step()
    assert first.sink.lines == [] and first.failures == 1
    first._retry_at = 0.0  # the backoff has passed
    ship_all(first)
    assert first.sink.lines == LINES[:10]
    log.write(LINES[10:])
    log.sync()
    again = shipper_for({"type": "directory", "path": str(tmp_path / "x")}, log, tmp_path)  # a restart: the saved cursor
    again.sink = RecordingSink()
    ship_all(again)
    assert again.sink.lines == LINES[10:]

    assert (again.shipped_lines, again.batches, again.failures) == (50, 2, 1)  # its counters go on: they were 10, 1, 1


def test_counters_go_on_across_restarts_failures_and_all(log: EventLog, tmp_path: Path) -> None:
    """A failure alone moves no cursor: its count is saved at the shipper's close."""
    first = shipper_for({"type": "directory", "path": str(tmp_path / "x")}, log, tmp_path)
    since = first.stats()["since_first_start"]
    log.write(LINES[:10])
    log.sync()
    ship_all(first)
    first.sink = RecordingSink()
    first.sink.failing = 1
    log.write(LINES[10:])
    log.sync()
    first.step()
    first.close()
    again = shipper_for({"type": "directory", "path": str(tmp_path / "x")}, log, tmp_path)
    assert again.stats()["since_first_start"] == since and since["counts"] == ["shipped_lines", "batches", "failures", "dropped_lines"]
    assert (again.shipped_lines, again.batches, again.failures, again.dropped_lines) == (10, 1, 1, 0)


def test_drop_mode_skips_and_counts_block_mode_holds_the_log(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events", segment_bytes=512, keep_segments=1)
    dropping = shipper_for({"type": "directory", "path": str(tmp_path / "d"), "max_backlog_mb": 0.001}, log, tmp_path, "drop")
    blocking = shipper_for({"type": "directory", "path": str(tmp_path / "b"), "mode": "block"}, log, tmp_path, "block")
    for line in LINES:
        log.write([line])
        log.sync()
    log.prune(log.synced)  # a checkpoint: only what a hold needs is kept
    dropping.sink, blocking.sink = RecordingSink(), RecordingSink()
    ship_all(dropping)
    ship_all(blocking)
    assert blocking.sink.lines == LINES  # every segment it had not shipped was kept for it
    kept = len(dropping.sink.lines)
    assert 0 < kept < len(LINES) and dropping.dropped_lines == len(LINES) - kept
    assert dropping.sink.lines == LINES[-kept:]  # the newest, in order
    log.close()


def test_the_raw_log_keeps_what_its_sink_has_not_shipped_across_a_crash_then_prunes_it(tmp_path: Path, clock: FakeClock) -> None:
    """A loop whose block-mode sink of the raw decisions and rewards is down: its checkpoints prune the event log but
    keep every raw segment; a crash and a restart (whose recovery checkpoints) lose none; once the sink has shipped
    them, the next checkpoint prunes them to keep_log_segments."""
    sink = {"type": "directory", "path": str(tmp_path / "out"), "stream": "raw", "mode": "block"}
    config = AppConfig.model_validate({"join": {"reward_wait_s": 2}, "log_sinks": [sink], "storage": {
        "log_segment_mb": 0.01, "keep_log_segments": 1, "log_sync_s": 0, "checkpoint_every_events": 20}})
    data = tmp_path / "data"

    def started() -> tuple[Loop, Shipper]:  # as the supervisor starts them: the sink's hold before recovery
        loop = open_loop(config, clock, data)
        assert loop.journal.raw is not None
        shipper = shipper_for(sink, loop.journal.raw, tmp_path, "raw")
        shipper.sink = RecordingSink()
        loop.recover()
        return loop, shipper

    def segments(pattern: str) -> list[str]:
        return sorted(p.name for p in (data / "events").glob(pattern))

    loop, down = started()
    down.sink.failing = 1_000_000  # type: ignore[attr-defined]
    for i in range(300):
        decision, ticket = loop.decide({"x": {"i": float(i)}})
        ticket.wait()
        if i % 2:
            loop.reward(decision.event_id, 1.0)[1].wait()
        clock.advance(1)
        loop.tick()
        down.step()
    assert down.failures and loop.last_checkpoint is not None and len(segments("events-*.dsjson")) <= 2  # checkpoints pruned
    written = segments("raw-*.jsonl")
    assert len(written) >= 4 and written[0] == "raw-000001.jsonl"  # ...but not the raw segments the sink has not shipped
    acknowledged = [line for name in written for line in (data / "events" / name).read_bytes().splitlines(keepends=True)]
    loop.journal.close()  # the process dies: no tick, no checkpoint

    loop, up = started()
    loop.checkpoint()
    assert segments("raw-*.jsonl")[: len(written)] == written  # the restart's checkpoints kept them too
    ship_all(up)
    assert set(acknowledged) <= set(up.sink.lines)  # type: ignore[attr-defined]
    loop.checkpoint()  # shipped: they go
    assert written[0] not in segments("raw-*.jsonl") and len(segments("raw-*.jsonl")) <= 2
    loop.close()


def test_a_daemon_killed_while_it_ships_loses_nothing_acknowledged(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    config = FAST + (f"log_sinks:\n  - {{type: directory, path: {inbox}, name: joined, batch_interval_s: 0.2}}\n"
                     f"  - {{type: directory, path: {inbox / 'raw'}, name: raw, stream: raw, batch_interval_s: 0.2}}\n")
    data = tmp_path / "data"
    for _ in range(3):
        running = start_daemon(tmp_path, config, data_dir=data)
        time.sleep(2.0)
        os.kill(running.proc.pid, signal.SIGKILL)
        running.proc.wait()
        running.stop()
    running = start_daemon(tmp_path, config, data_dir=data)
    time.sleep(2.0)
    assert running.stop() is not None and running.proc.returncode == 0
    logged = {json.loads(line)["EventId"] for f in (data / "events").glob("events-*.dsjson") for line in f.read_text().splitlines()}
    shipped = [json.loads(line)["EventId"] for f in inbox.glob("*.jsonl") for line in f.read_text().splitlines()]
    assert logged and logged <= set(shipped), f"{len(logged - set(shipped))} joined events never shipped"
    raw = [json.loads(line) for f in (inbox / "raw").glob("*.jsonl") for line in f.read_text().splitlines()]
    decided = {r["event_id"] for r in raw if r["kind"] == "decision"}
    assert logged <= decided and any(r["kind"] == "reward" for r in raw)


@pytest.mark.parametrize("stream, pattern", [("joined", "events-*.dsjson"), ("raw", "raw-*.jsonl")])
def test_block_mode_keeps_what_it_has_not_shipped_across_a_crash_and_recovery(tmp_path: Path, stream: str, pattern: str) -> None:
    """A block-mode sink that cannot ship (its directory is a file) while the loop logs several segments; the process
    dies; at the next start, recovery relearns and checkpoints (pruning the logs to keep_log_segments: 1) before
    anything else: every line of the first run is still shipped once the sink can write, and the next checkpoint
    prunes the segments it has shipped (the raw log's as the event log's)."""
    data, blocked, inbox = tmp_path / "data", tmp_path / "not-a-directory", tmp_path / "inbox"
    blocked.write_text("")

    def config(path: Path, world: bool) -> dict[str, Any]:
        return {"policy": {"actions": [{"id": "a"}, {"id": "b"}]}, "join": {"reward_wait_s": 0.1},
                "simulation": {"decision_every_s": 0.01, "delay": {"mean_s": 0.02}} if world else None,
                "storage": {"log_segment_mb": 0.01, "keep_log_segments": 1, "log_sync_s": 0.05,
                            "checkpoint_every_events": 10_000_000, "checkpoint_every_s": 86400},
                "log_sinks": [{"type": "directory", "path": str(path), "name": "held", "mode": "block", "batch_interval_s": 0.05,
                               "stream": stream}]}

    def lines_in(files: Any) -> set[str]:
        return {line for f in files for line in f.read_text().splitlines()}

    child = f"""
import os, time
from pathlib import Path
from appliance.embedded import LiveModel
model = LiveModel({config(blocked, True)!r}, {str(data)!r})
deadline = time.monotonic() + 60
while len(list(Path({str(data / 'events')!r}).glob({pattern!r}))) < 4:
    assert time.monotonic() < deadline, "the loop did not log four segments"
    time.sleep(0.05)
time.sleep(0.2)
os._exit(0)  # no close(): nothing shipped, nothing checkpointed
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    logged, joined = lines_in((data / "events").glob(pattern)), lines_in((data / "events").glob("events-*.dsjson"))
    assert len(logged) > 20
    from appliance.embedded import LiveModel

    with LiveModel(config(inbox, False), data) as model:
        recovered = model._supervisor.recovered
        assert recovered is not None and recovered["relearned"] >= len(joined) - 5  # so it checkpointed and pruned
        deadline = time.monotonic() + 30
        while not logged <= (shipped := lines_in(inbox.glob("*.jsonl"))):
            assert time.monotonic() < deadline, f"{len(logged - shipped)} of {len(logged)} unshipped lines lost"
            time.sleep(0.1)
        model.loop.checkpoint()  # the sink still holds its cursor: only what it has shipped goes
        assert len(list((data / "events").glob(pattern))) <= 2


def test_a_clean_restart_ships_no_raw_line_twice(tmp_path: Path) -> None:
    """The raw lines of the decisions still waiting for their rewards at a clean stop were synced and shipped; the
    next start used to log every one again from the write-ahead log (~260 lines a restart of the default daemon), so
    the sink shipped them twice. A crash still logs them again (see the test above: nothing acknowledged is lost)."""
    inbox = tmp_path / "inbox"
    config = ("join:\n  reward_wait_s: 60\nsimulation:\n  decision_every_s: 0.05\n  delay:\n    mean_s: 30\n"
              f"log_sinks:\n  - {{type: directory, path: {inbox}, name: raw, stream: raw, batch_interval_s: 0.2}}\n")
    data = tmp_path / "data"
    for _ in range(3):
        running = start_daemon(tmp_path, config, data_dir=data)
        time.sleep(1.5)
        assert running.stop() is not None and running.proc.returncode == 0
    lines = [line for f in sorted(inbox.glob("*.jsonl")) for line in f.read_text().splitlines()]
    decisions = sum(json.loads(line)["kind"] == "decision" for line in lines)
    twice = len(lines) - len(set(lines))
    assert decisions > 20 and twice == 0, f"{twice} of {len(lines)} raw lines shipped twice over two clean restarts"


def test_a_sinks_counters_in_the_status_go_on_after_a_restart_of_the_daemon(tmp_path: Path) -> None:
    inbox, data = tmp_path / "inbox", tmp_path / "data"
    config = ("join:\n  reward_wait_s: 0.2\nsimulation:\n  decision_every_s: 0.02\n  delay:\n    mean_s: 0.05\n"
              f"log_sinks:\n  - {{type: directory, path: {inbox}, name: joined, batch_interval_s: 0.1}}\n")

    def counted(running: Any) -> dict[str, Any]:
        with running.client() as client:
            stats: dict[str, Any] = client.get("/api/status").json()["log_sinks"]["joined"]
        return stats

    running = start_daemon(tmp_path, config, data_dir=data)
    time.sleep(3.0)
    before = counted(running)
    assert running.stop() is not None and running.proc.returncode == 0
    assert before["shipped_lines"] > 20 and before["batches"] > 1
    running = start_daemon(tmp_path, config, data_dir=data)
    try:
        after = counted(running)
    finally:
        assert running.stop() is not None and running.proc.returncode == 0
    assert after["shipped_lines"] >= before["shipped_lines"] and after["batches"] >= before["batches"], (before, after)
    assert after["since_first_start"] == before["since_first_start"]
