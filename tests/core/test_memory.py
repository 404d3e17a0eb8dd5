"""Resident memory stays flat under adversarial input: every per-request cache is bounded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_random_action_subsets_and_new_namespaces_keep_memory_flat() -> None:
    done = subprocess.run([sys.executable, str(Path(__file__).with_name("memory_driver.py")), "20000"], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    quarters = [float(line) for line in done.stdout.split()]
    print(f"resident MB after each 5,000 of 20,000 decisions: {quarters}")
    assert len(quarters) == 4
    assert quarters[-1] - quarters[1] < 0.1 * quarters[1], quarters  # the caches filled in the first quarters, then flat
