"""Each batch as one MQTT message, QoS 1: the broker's PUBACK acknowledges it.

The sink speaks the three packets it needs (MQTT 3.1.1's CONNECT, PUBLISH and PUBACK) on a connection of its own,
from the sink's worker, rather than through paho (appliance/mqtt.py): with one message in flight at a time, a batch
is one write and one read of four bytes. paho's network thread took a dozen system calls and two thread wake-ups a
batch, each handing the interpreter's lock to the loop's thread and waiting to get it back (240-370 µs of CPU a
198 KB batch here, against about 40).

It connects at the first batch (a broker that is away fails that batch, which is sent again with backoff, and never
blocks a start), and again after a failure or once the connection was idle for its keep-alive (the broker may have
dropped it). Anything but the PUBACK of the batch's packet id fails the batch and closes the connection.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from typing import Any

from appliance.config.log_sinks import MQTTSinkConfig
from appliance.sinks.base import SinkError

KEEPALIVE_S = 60
"""Told to the broker at CONNECT; a connection idle this long is opened again before the next batch."""
CONNACK_REFUSALS = {1: "it does not speak MQTT 3.1.1", 2: "it rejected the client id", 3: "it is unavailable",
                    4: "bad user name or password", 5: "not authorized"}


def remaining_length(size: int) -> bytes:
    """MQTT's variable-length size of what follows a fixed header (7 bits a byte, lowest first).

    >>> remaining_length(127), remaining_length(128), remaining_length(202_752)
    (b'\\x7f', b'\\x80\\x01', b'\\x80\\xb0\\x0c')
    """
    out = bytearray()
    while True:
        size, digit = divmod(size, 128)
        out.append(digit | (0x80 if size else 0))
        if not size:
            return bytes(out)


def utf8(text: str) -> bytes:
    """An MQTT string: its UTF-8 length in two bytes, then the bytes."""
    data = text.encode()
    return struct.pack("!H", len(data)) + data


CONNECT = b"\x10" + remaining_length(12) + utf8("MQTT") + b"\x04\x02" + struct.pack("!H", KEEPALIVE_S) + utf8("")
"""Protocol level 4 (3.1.1), a clean session, the keep-alive, an empty client id (the broker makes one up)."""


class MQTTSink:
    def __init__(self, config: MQTTSinkConfig, name: str = "mqtt") -> None:
        self.name, self.config = name, config
        self._topic = utf8(config.topic)
        self._sock: socket.socket | None = None
        self._packet_id = 0
        self._last_exchange = 0.0
        self.connects = self.disconnects = 0
        self.last_error: str | None = None

    def send(self, data: bytes, batch_id: str) -> None:
        broker = f"the MQTT broker {self.config.host}:{self.config.port}"
        try:
            sock = self._connection()
            self._packet_id = self._packet_id % 0xFFFF + 1
            packet_id = struct.pack("!H", self._packet_id)
            sock.sendall(b"".join([b"\x32", remaining_length(len(self._topic) + 2 + len(data)), self._topic, packet_id, data]))
            ack = _read(sock, 4)
        except (OSError, SinkError) as err:
            self._close(str(err) or type(err).__name__)
            raise SinkError(f"{self.name}: {broker} did not take the batch ({self.last_error})") from None
        if ack != b"\x40\x02" + packet_id:
            self._close(f"the answer {ack.hex()} is not the PUBACK of packet {self._packet_id}")
            raise SinkError(f"{self.name}: {broker} did not acknowledge the batch ({self.last_error})")
        self._last_exchange = time.monotonic()

    def _connection(self) -> socket.socket:
        """The open connection, or a new one (none yet, the broker closed it, or idle for the keep-alive)."""
        if self._sock is not None:
            idle = time.monotonic() - self._last_exchange >= KEEPALIVE_S
            if idle:
                self._close(None)
            elif select.select([self._sock], [], [], 0)[0]:  # readable before a PUBLISH: closed (or junk)
                self._close("the broker closed the connection")
        if self._sock is None:
            sock = socket.create_connection((self.config.host, self.config.port), timeout=self.config.timeout_s)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a PUBLISH's last segment goes at once
                sock.sendall(CONNECT)
                connack = _read(sock, 4)
            except OSError:
                sock.close()
                raise
            if connack[:3] != b"\x20\x02\x00" or connack[3]:
                sock.close()
                raise SinkError(f"it refused the connection: {CONNACK_REFUSALS.get(connack[3], f'answer {connack.hex()}')}")
            self._sock, self._last_exchange = sock, time.monotonic()
            self.connects += 1
        return self._sock

    def _close(self, error: str | None) -> None:
        """Close the connection; ``error``: why (None: not a failure)."""
        self.last_error = error or self.last_error
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self.disconnects += 1

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.sendall(b"\xe0\x00")  # DISCONNECT: a clean goodbye
            except OSError:
                pass  # gone already: closing is all that is left
            self._sock.close()
            self._sock = None

    def stats(self) -> dict[str, Any]:
        return {"type": "mqtt", "topic": self.config.topic, "broker": f"{self.config.host}:{self.config.port}",
                "connected": self._sock is not None, "connects": self.connects, "disconnects": self.disconnects,
                "last_error": self.last_error}


def _read(sock: socket.socket, size: int) -> bytes:
    """``size`` bytes from ``sock`` (within its timeout), or ``ConnectionError`` if it closes first."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        data += chunk
    return data
