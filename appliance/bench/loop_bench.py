"""Core-loop benchmarks: the whole loop vs pyvw on the same pre-parsed examples, and memory per pending decision."""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from appliance.bench.measure import repeat, repeat_each, rss_bytes, summarize, timed
from appliance.bench.vw_bench import LightWorkload, light_workload
from appliance.clock import FakeClock
from appliance.config import AppConfig, JoinConfig
from appliance.heap import settled_heap

if TYPE_CHECKING:
    from appliance.loop import Loop


def drive(loop: Loop, clock: FakeClock, workload: LightWorkload) -> None:
    """The workload through ``loop``: 100 decisions a simulated second, joined by a tick every 10 (the daemon
    ticks at 10 Hz)."""
    for i, (context, reward) in enumerate(zip(workload.contexts, workload.rewards)):
        decision, _ = loop.decide(context)
        if reward:
            loop.reward(decision.event_id, reward)
        clock.advance(0.01)
        if i % 10 == 9:
            loop.tick()


def bench_loop_vs_pyvw(quick: bool) -> dict[str, Any]:
    """Events per second: our loop (decide, join, learn, DSJSON log) vs pyvw predict+learn on pre-parsed examples."""
    from appliance.assemble import open_loop

    n = 1000 if quick else 10_000
    workload = light_workload(n)
    config = AppConfig.model_validate({"join": {"reward_wait_s": 5.0}})

    def reference() -> float:
        vw = workload.workspace()
        seconds = 0.0
        with settled_heap():
            for start in range(0, n, 500):  # parsed in chunks: a parsed multi-example holds ~160 KB
                parsed = [vw.parse(workload.lines(i, labelled=True)) for i in range(start, min(n, start + 500))]
                seconds += timed(lambda: [(vw.predict(ex), vw.learn(ex)) for ex in parsed])
                for ex in parsed:
                    vw.finish_example(ex)
        vw.finish()
        return n / seconds

    def ours(durable: bool) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            clock = FakeClock(1_700_000_000.0)
            loop = open_loop(config, clock, Path(tmp), durable=durable)

            def run() -> None:
                drive(loop, clock, workload)
                clock.advance(10)
                loop.tick()
                if loop.wal:
                    loop.wal.flush()

            with settled_heap():  # as the daemon runs the loop, once started
                seconds = timed(run)
            loop.close()
            return n / seconds

    # taken in turn, so a slow spell of the machine (another process, a throttled CPU) slows both sides
    s = repeat_each(lambda: {"reference": reference(), "loop": ours(False)}, repeats=3 if quick else 7)
    ref, loop = s["reference"], s["loop"]
    durable = repeat(lambda: ours(True), 3 if quick else 5)
    return {
        "figure": "events per second through decide + join + learn + DSJSON log (light world, 4 actions)",
        "unit": "events/s", **loop, "events": n,
        "reference": {"name": "pyvw predict + learn on the same examples pre-parsed (the ceiling for any loop on pyvw)", **ref},
        "ratio": loop["median"] / ref["median"],
        "durable": {"figure": "same, with the SQLite write-ahead log (group commit, fsync)", **durable,
                    "ratio": durable["median"] / ref["median"]},
    }


def _pending_rss(n: int) -> float:
    """Resident bytes per pending decision, measured in a fresh process (freed memory would hide growth)."""
    from appliance.assemble import open_loop

    contexts = light_workload(n).contexts
    with tempfile.TemporaryDirectory() as tmp:
        config = AppConfig(join=JoinConfig(reward_wait_s=86400, max_pending=n))
        loop = open_loop(config, FakeClock(1_700_000_000.0), Path(tmp), durable=False)
        loop.decide(contexts[0])
        gc.collect()
        before = rss_bytes()
        for context in contexts[1:]:
            loop.decide(context)
        gc.collect()
        per = (rss_bytes() - before) / (n - 1)
        loop.close()
        return per


def bench_bytes_per_pending(quick: bool) -> dict[str, Any]:
    """Resident memory per decision waiting for its reward, at the ``max_pending`` default (2000 decisions), where
    the newest ``policy.held_examples`` (1024) keep their VW example."""
    n = JoinConfig.model_fields["max_pending"].default
    samples = []
    for _ in range(2 if quick else 3):  # one fresh process per sample
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            samples.append(pool.submit(_pending_rss, n).result())
    result = summarize(samples)
    return {"figure": f"resident bytes per pending decision, {n} pending (context, join entry, and for the newest "
                      "1024 their VW example)", "unit": "bytes", **result, "pending": n,
            "reference": {"name": f"MB for those {n} pending decisions", "median": result["median"] * n / 1e6},
            "ratio": None}


class _AppendFileLog:
    """The alternative we measured against: an fsynced append-only JSON-lines file with the same group commit."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "ab")
        self._lock = threading.Lock()
        self._pending: list[tuple[bytes, threading.Event]] = []

    def append(self, line: bytes) -> threading.Event:
        done = threading.Event()
        with self._lock:
            self._pending.append((line, done))
        return done

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set() or self._pending:
            time.sleep(0.005)  # the same 5 ms group-commit window
            with self._lock:
                batch, self._pending = self._pending, []
            if batch:
                self._file.write(b"".join(line for line, _ in batch))
                self._file.flush()
                os.fsync(self._file.fileno())
                for _, done in batch:
                    done.set()

    def close(self) -> None:
        self._file.close()


def bench_wal(quick: bool) -> dict[str, Any]:
    """Acknowledged decisions per second, 8 concurrent writers each waiting for durability (like API clients)."""
    from appliance.policy import UniformPolicy
    from appliance.storage.wal import WriteAheadLog
    from appliance.storage.wal_records import decision_row

    n = 160 if quick else 2000
    contexts = light_workload(n).contexts
    policy = UniformPolicy.of(["warm", "cool", "red", "blue"])
    decisions = [policy.decide(c, f"e{i}", 0.0) for i, c in enumerate(contexts)]

    def writers(submit: Callable[[Any], Callable[[], object]]) -> float:
        chunks = [decisions[i::8] for i in range(8)]

        def client(chunk: list[Any]) -> None:
            for d in chunk:
                submit(d)()

        threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return n / (time.perf_counter() - start)

    def sqlite(window_ms: float) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            wal = WriteAheadLog(Path(tmp) / "wal.sqlite", window_ms)
            rate = writers(lambda d: wal.decision(d).wait)
            wal.close()
            return rate

    def append_file() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            log = _AppendFileLog(Path(tmp) / "wal.jsonl")
            stop = threading.Event()
            thread = threading.Thread(target=log.run, args=(stop,))
            thread.start()
            rate = writers(lambda d: log.append((json.dumps(decision_row(d)) + "\n").encode()).wait)
            stop.set()
            thread.join()
            log.close()
            return rate

    repeats = 3 if quick else 5
    grouped = repeat(lambda: sqlite(5.0), repeats)
    single = repeat(lambda: sqlite(0.0), repeats)
    appended = repeat(append_file, repeats)
    return {"figure": "acknowledged decisions/s into the SQLite WAL as configured by default (a commit starts as soon "
            "as the writer is free; what queued meanwhile shares it), 8 writers each waiting for durability",
            "unit": "records/s", **single,
            "reference": {"name": "fsynced append-only file batching every 5 ms", **appended},
            "ratio": single["median"] / appended["median"],
            "fixed_window": {"figure": "SQLite WAL with group_commit_ms=5", **grouped,
                             "ratio": grouped["median"] / appended["median"]}}


BENCHMARKS = {"wal.commit": bench_wal, "loop.events_per_s": bench_loop_vs_pyvw, "loop.bytes_per_pending": bench_bytes_per_pending}
