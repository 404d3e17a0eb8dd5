"""Fixtures for the packaging tests: a real Docker engine, a Debian base image made with debootstrap
(no image registry is needed), and the appliance image built from the repository's Dockerfile.

The engine is the one that answers, or a ``dockerd`` started here with host networking only and
stopped (by its PID) when the session ends. The base root filesystem is cached as a tarball under
``${XDG_CACHE_HOME:-~/.cache}/wabbit-image``; the built image keeps its tag, so a rerun reuses
Docker's layer cache (``docker rmi raspberry-wabbit:test`` for a clean build).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from packaging_support import (
    BASE_IMAGE,
    CACHE,
    IMAGE,
    ROOT,
    debootstrap_base_tarball,
    engine_answers,
    record_duration,
    run,
    wait_for,
)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[None]:
    """A Docker engine that answers: the running one, or a dockerd started for this session."""
    if shutil.which("docker") is None:
        pytest.skip("no docker client: tests/apt/packaging.txt installs docker.io")
    if engine_answers():
        yield
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        pytest.skip("no Docker engine answers and dockerd cannot be started (needs docker.io and root)")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "dockerd.log", "ab") as log:
        # No bridge and no iptables: containers use the host network only (RECIPES).
        proc = subprocess.Popen(
            [dockerd, "--bridge=none", "--iptables=false", "--ip6tables=false"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: engine_answers() or proc.poll() is not None,
            timeout=90,
            what="dockerd to answer",
        )
        if not engine_answers():  # installed and root, yet no engine: a broken set-up, not a skip
            log_tail = (CACHE / "dockerd.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"dockerd exited with {proc.returncode}:\n{log_tail}")
        yield
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def debian_base(docker_engine: None) -> str:
    """The image the Dockerfile starts FROM, imported from a debootstrap tarball when missing."""
    if run("docker", "image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        tarball = debootstrap_base_tarball()
        run("docker", "import", str(tarball), BASE_IMAGE, timeout=600)
    return BASE_IMAGE


@pytest.fixture(scope="session")
def wabbit_image(debian_base: str) -> str:
    """The appliance image, built from the Dockerfile with host networking (no registry)."""
    started = time.monotonic()
    run("docker", "build", "--network", "host", "-t", IMAGE, str(ROOT), timeout=1800)
    record_duration("docker build", time.monotonic() - started)
    return IMAGE
