"""Why the data directory cannot be written, in words a Pi's owner can act on: a full disk, a file system the kernel
remounted read-only after an SD card's I/O error, or that I/O error itself.

>>> import errno
>>> hint(OSError(errno.ENOSPC, "No space left on device"))
'is the disk full?'
>>> hint(OSError(errno.EROFS, "Read-only file system")).startswith("its file system is read-only")
True
>>> import tempfile
>>> read_only(Path(tempfile.mkdtemp()))
False
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

REMOUNTED = ("the kernel remounts an SD card's file system read-only after an I/O error (see `dmesg`): back up the "
             "data directory, check the card (fsck) or replace it, and reboot")
READ_ONLY = f"its file system is read-only: {REMOUNTED}"
IO_ERROR = ("the disk reported an I/O error (see `dmesg`): the SD card may be failing; back up the data directory "
            "and replace the card")


def hint(err: OSError) -> str:
    """What to check or do about a failed write, from its ``errno``."""
    if err.errno == errno.EROFS:
        return READ_ONLY
    if err.errno == errno.EIO:
        return IO_ERROR
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "is the disk full?"
    return "check that the disk has room and the directory is writable by this user"


def read_only(path: Path, mountinfo: Path = Path("/proc/self/mountinfo")) -> bool:
    """Whether the file system holding ``path`` takes no writes: mounted read-only, or remounted so by the kernel after
    an error (ext4's ``errors=remount-ro``: ``ro`` up to Linux 6.14, ``emergency_ro`` since, which ``statvfs`` does
    not show, so the superblock's options in ``mountinfo`` are read too)."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return True
        device = os.stat(path).st_dev
        lines = mountinfo.read_text().splitlines()
    except OSError:  # no such path (yet), or no /proc: nothing says it is read-only
        return False
    wanted = f"{os.major(device)}:{os.minor(device)}"
    for line in lines:  # "36 35 98:0 /root /mnt rw,noatime master:1 - ext4 /dev/root rw,errors=remount-ro"
        fields, _, tail = line.partition(" - ")
        parts, super_options = fields.split(), tail.split()[2:3]
        if len(parts) > 2 and parts[2] == wanted and super_options and {"ro", "emergency_ro"} & set(super_options[0].split(",")):
            return True
    return False
