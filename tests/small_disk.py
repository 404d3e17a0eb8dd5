"""A small tmpfs to use as a data directory whose disk fills up, as a Pi's full SD card does."""

from __future__ import annotations

import errno
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted after the test; skipped where mounting is not permitted (not root, no mount)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = shutil.which("mount")
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True, text=True) \
        if mount else None
    if done is None or done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up ({done.stderr.strip() if done else 'no mount command'}); run as root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """A file in ``disk`` that takes all of its free space; delete it to give the room back."""
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:  # unbuffered: what a short write left is not flushed again at close
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as err:
            if err.errno != errno.ENOSPC:
                raise
    return filler
