"""The daemon's settled heap: the objects of a batch of decisions in flight do not start a collection, and the memory
malloc holds free goes back to the system."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from appliance.heap import settled_heap


def test_a_batch_in_flight_starts_no_collection_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    started: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(info["generation"])

    with settled_heap():
        gc.callbacks.append(note)
        try:
            in_flight = [{"context": {"f": [i]}} for i in range(1_400)]  # ~2,800 containers, as a DecideStream batch of 100 holds
        finally:
            gc.callbacks.remove(note)
    assert len(in_flight) == 1_400
    assert started == [], f"collections of generations {started} ran while a batch's objects were alive"
    assert gc.get_threshold() == before


FRAGMENTED = """
import threading
from appliance.heap import release_free_memory

def resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def fragment(kept):  # in a thread of its own, as a request's or an example's memory is: its own malloc arena
    chunks = [bytearray(2_000) for _ in range(40_000)]  # 80 MB of malloc'd chunks (pymalloc takes only <= 512 bytes)
    kept.extend(chunks[::50])  # one in 50 stays in use, so the free ones between cannot go back as the heap's top
    del chunks

kept = []
worker = threading.Thread(target=fragment, args=(kept,))
worker.start(); worker.join()
before = resident_mb()
release_free_memory()
print(before, resident_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's malloc_trim")
def test_the_memory_malloc_holds_free_between_chunks_in_use_goes_back_to_the_system() -> None:
    done = subprocess.run([sys.executable, "-c", FRAGMENTED], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    before, after = map(float, done.stdout.split())
    assert before > 70, f"the fragmented heap held only {before:.0f} MB: the test made no free chunks to give back"
    assert after < before - 50, f"resident {before:.0f} MB before the trim, {after:.0f} MB after"
