"""The ``LogSink`` role: somewhere batches of log lines go (a directory, an HTTP endpoint, MQTT, Redis).

A sink only sends; the :class:`~appliance.sinks.shipper.Shipper` reads the log, batches, retries and keeps the
cursor. ``send`` either delivers the whole batch (returns) or raises :class:`SinkError` (the batch is sent
again later, whole). Every batch has a stable ``batch_id`` (where it starts in the log) and every line its
event id, so a receiver can drop the duplicates at-least-once delivery brings.

A sink that makes several batches durable at once more cheaply than each alone (a directory: one fsync of its
new entries) is a :class:`CommittingSink` too: the shipper commits before it saves its cursor, and a failed
commit sends those batches again.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from appliance.errors import WabbitError

MACHINE_ID = Path("/etc/machine-id")


def appliance_name(machine_id: Path = MACHINE_ID) -> str:
    """What a sink names this appliance by when its config does not: the host name, and the first 8 hex digits of
    systemd's machine id when there is one. Raspberry Pi OS names every Pi ``raspberrypi``; its machine id is drawn
    at first boot, so two Pis shipping to one fleet (or one shared folder) keep their batches apart.

    >>> import tempfile
    >>> ids = Path(tempfile.mkdtemp()) / "machine-id"
    >>> _ = ids.write_text("0123456789abcdef0123456789abcdef\\n")
    >>> appliance_name(ids) == f"{socket.gethostname()}-01234567"
    True
    >>> appliance_name(ids.with_name("none")) == socket.gethostname()
    True
    """
    try:
        found = re.match(r"[0-9a-f]{8}", machine_id.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError):
        found = None
    return f"{socket.gethostname()}-{found.group(0)}" if found else socket.gethostname()


class SinkError(WabbitError, RuntimeError):
    """A batch could not be delivered; the message names the sink and the reason. It is retried, whole."""


@runtime_checkable
class LogSink(Protocol):
    """Delivers batches of log lines; built as ``Kind(config, name=...)``."""

    name: str

    def send(self, data: bytes, batch_id: str) -> None:
        """Deliver ``data`` (whole lines, each ending in its newline) or raise :class:`SinkError`."""
        ...

    def close(self) -> None:
        """Release connections; idempotent."""
        ...

    def stats(self) -> dict[str, Any]:
        """JSON-able: where it sends, its own counters."""
        ...


@runtime_checkable
class CommittingSink(Protocol):
    """A log sink whose delivered batches become durable at ``commit`` (optional beside :class:`LogSink`)."""

    def commit(self) -> None:
        """Make durable every batch ``send`` delivered since the last commit, or raise :class:`SinkError`."""
        ...
