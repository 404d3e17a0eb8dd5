"""Opt-in (WABBIT_DOCKER_ARM64=1): the same Dockerfile built for arm64, the Pi's architecture, under
QEMU user emulation from a debootstrap arm64 base, and the simulated loop learning in that image.
Too slow for every CI run (debootstrap of the base about 7 min once, the build a few minutes):

    WABBIT_DOCKER_ARM64=1 tests/run tests/packaging/test_docker_arm64.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from packaging_support import ROOT, debootstrap_base_tarball, record_duration, run

pytestmark = [
    pytest.mark.docker,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("WABBIT_DOCKER_ARM64") != "1", reason="opt-in: WABBIT_DOCKER_ARM64=1"),
    pytest.mark.timeout(5400),  # the suite's 20 minutes are less than the base's debootstrap and the build under emulation
]

ARM64_BASE = "wabbit-test/debian-arm64:trixie-slim"
ARM64_IMAGE = "raspberry-wabbit:test-arm64"


@pytest.fixture(scope="module")
def arm64_base(docker_engine: None) -> str:
    """An arm64 Debian image (`docker import --platform` is ignored, so ADD the rootfs; RECIPES)."""
    if run("docker", "image", "inspect", ARM64_BASE, check=False).returncode != 0:
        tarball = debootstrap_base_tarball("arm64")
        with tempfile.TemporaryDirectory() as context:
            os.link(tarball, Path(context) / "rootfs.tar")
            (Path(context) / "Dockerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["bash"]\n')
            run("docker", "build", "--platform", "linux/arm64", "--network", "host", "-t", ARM64_BASE, context)
    return ARM64_BASE


def test_arm64_image_builds_under_emulation_and_learns(arm64_base: str) -> None:
    started = time.monotonic()
    run(
        "docker", "build", "--platform", "linux/arm64", "--network", "host",
        "--build-arg", f"DEBIAN_IMAGE={arm64_base}", "-t", ARM64_IMAGE, str(ROOT), timeout=3600,
    )
    record_duration("docker build arm64 (qemu-user)", time.monotonic() - started)
    arch = run("docker", "image", "inspect", "--format", "{{.Architecture}}", ARM64_IMAGE).stdout
    assert arch.strip() == "arm64"
    out = run(
        "docker", "run", "--rm", "--network", "host", "--pull", "never", "--platform", "linux/arm64",
        ARM64_IMAGE, "simulate", "--world", "light", "--events", "2000", "--seed", "1", "--json",
        timeout=900,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    gain = (result["avg_reward"] - result["random_avg_reward"]) / (
        result["oracle_avg_reward"] - result["random_avg_reward"]
    )
    assert gain > 0.25, result
