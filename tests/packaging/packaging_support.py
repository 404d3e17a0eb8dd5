"""Helpers for the packaging tests (commands, loopback HTTP, polling), shared by conftest and tests."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_RELEASE = "trixie"  # the Dockerfile's default DEBIAN_RELEASE
BASE_IMAGE = f"debian:{DEBIAN_RELEASE}-slim"
IMAGE = "raspberry-wabbit:test"
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "wabbit-image"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def run(
    *args: str, timeout: float = 600, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs a command, capturing its output as text; raises with that output on failure."""
    proc = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, input=input, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return proc


def engine_answers() -> bool:
    return run("docker", "info", timeout=30, check=False).returncode == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str, token: str | None = None, timeout: float = 5) -> tuple[int, Any]:
    """GET a URL on loopback; returns (status, decoded JSON body or None)."""
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            body = response.read()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.read()
        err.close()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 1.0, what: str = "") -> T:
    """Calls predicate until it returns something truthy; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, urllib.error.URLError) as err:
            last_error = err
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} ({last_error})")


def debootstrap_base_tarball(arch: str | None = None) -> Path:
    """A Debian minbase root filesystem as a tarball, cached; it trusts the host's CA bundle so pip
    works behind this machine's proxy (RECIPES), exactly as a Pi user's base works without one.
    A foreign ``arch`` (arm64 on x86_64) needs qemu-user-static's binfmt handler."""
    native = run("dpkg", "--print-architecture").stdout.strip()
    arch = arch or native
    tarball = CACHE / f"docker-base-{DEBIAN_RELEASE}-{arch}.tar"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".docker-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists():
            return tarball
        if shutil.which("debootstrap") is None:
            pytest.skip("debootstrap is missing: tests/apt/packaging.txt installs it")
        if arch != native and not Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
            pytest.skip(f"no binfmt handler for {arch}: apt-get install qemu-user-static binfmt-support")
        with tempfile.TemporaryDirectory(dir=CACHE, prefix="docker-base-") as tmp:
            rootfs = Path(tmp) / "rootfs"
            # A private mount namespace: whatever debootstrap mounts vanishes with it.
            run("unshare", "--mount", "--propagation", "private", "debootstrap", f"--arch={arch}",
                "--variant=minbase", DEBIAN_RELEASE, str(rootfs), MIRROR, timeout=1800)
            for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
                deb.unlink()
            if HOST_CA_BUNDLE.exists():
                (rootfs / "etc/ssl").mkdir(exist_ok=True)
                shutil.copy(HOST_CA_BUNDLE, rootfs / "etc/ssl/host-ca-bundle.crt")
                (rootfs / "etc/pip.conf").write_text("[global]\ncert = /etc/ssl/host-ca-bundle.crt\n")
            partial = tarball.with_suffix(".partial")
            run("tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), ".", timeout=600)
            partial.rename(tarball)
        return tarball


def record_duration(what: str, seconds: float) -> None:
    """Appends a measured duration to the cache's docker-durations.log (README quotes them)."""
    with open(CACHE / "docker-durations.log", "a") as log:
        log.write(f"{time.strftime('%F %T')} {what}: {seconds:.0f}s\n")
