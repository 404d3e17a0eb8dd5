"""A small tmpfs to use as a data directory whose disk fills up, as a Pi's full SD card does."""

from __future__ import annotations

import contextlib
import errno
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest


@contextlib.contextmanager
def mounted(disk: Path, what: str, *steps: list[str]) -> Iterator[Path]:
    """``disk`` once ``steps`` ran (the last one mounts it), unmounted afterwards; the test is skipped where a step
    cannot run (not root, a command missing), saying it could not ``what``."""
    disk.mkdir(exist_ok=True)
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True) if shutil.which(step[0]) else None
        if done is None or done.returncode != 0:
            pytest.skip(f"cannot {what} ({done.stderr.strip() if done else f'no {step[0]}'}); run as root")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs, unmounted after the test; skipped where mounting is not permitted (not root, no mount)."""
    disk = tmp_path / "disk"
    with mounted(disk, "mount a tmpfs to fill up", ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)]):
        yield disk


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


@pytest.fixture
def sd_card(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB ext4 file system on a loop device, mounted with ``errors=remount-ro`` as Raspberry Pi OS mounts its
    root; :func:`card_error` makes the kernel remount it read-only, as a failing SD card's I/O error does. Skipped
    where loop devices cannot be mounted (not root, no ``mkfs.ext4``)."""
    image, disk = tmp_path / "card.img", tmp_path / "card"
    with image.open("wb") as out:
        out.truncate(32 << 20)
    with mounted(disk, "make an ext4 card image", [shutil.which("mkfs.ext4") or "/usr/sbin/mkfs.ext4", "-q", "-F", str(image)],
                 ["mount", "-o", "loop,errors=remount-ro", str(image), str(disk)]):
        yield disk


def card_error(disk: Path) -> None:
    """Have ext4 report an error on ``disk`` (its ``trigger_fs_error``): with ``errors=remount-ro`` the kernel stops
    all writes to it from then on, as after a failing SD card's I/O error."""
    source = subprocess.run(["findmnt", "-n", "-o", "SOURCE", str(disk)], capture_output=True, text=True, check=True)
    trigger = Path("/sys/fs/ext4", Path(source.stdout.strip()).name, "trigger_fs_error")
    try:
        trigger.write_text("a test's card error")
    except OSError as err:  # a kernel before 5.x, or /sys mounted read-only in a container
        pytest.skip(f"cannot make ext4 report an error through {trigger} ({err.strerror})")


def card_reboot(disk: Path) -> None:
    """Unmount the :func:`sd_card` at ``disk`` and mount it again, as a reboot does (its journal replayed)."""
    subprocess.run(["umount", str(disk)], check=True)
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(disk.parent / "card.img"), str(disk)], check=True)
