"""Each line added to a Redis stream as an entry of its own (``XADD``, ``MAXLEN ~`` when set) with its batch id: a
batch goes as one write of pipelined ``XADD`` commands, and the server's replies, one entry id per line, all read
and checked, acknowledge it. Needs the ``sinks`` extra (redis).

Packed and checked here, not by redis-py: its pipeline packs each command and parses each reply in Python, in the
loop's process (about 30 µs a line). Here the commands are put together by ``bytes.join`` over the batch's lines
(the fixed parts once per batch) and the replies read from the connection's socket in one or two reads, their
entry ids only counted: 1.1-1.9 µs a line in the process, against the 1.0-1.5 of the Lua script this replaced. The
script cost the server more than twice the ``XADD`` s themselves, since each ``redis.call`` converts its arguments and
reply (7.3-8.7 µs a line against 2.1-3.7), CPU a server on the appliance takes from the cores the loop runs on. redis-py still
connects, authenticates, selects the database and reconnects (its pinned version's socket is read directly; see
``_replies``).

At least once: a batch with an error reply, or whose replies do not all come back, is sent again, whole, after the
connection is closed (no late reply can be taken for the next batch's); the entries it had added before come
twice, each with its event id in ``line`` and its ``batch``."""

from __future__ import annotations

import itertools
import re
import socket
import ssl
from typing import Any

from appliance.config.log_sinks import RedisSinkConfig
from appliance.sinks.base import SinkError

ERROR_REPLY = re.compile(rb"(?:^|\r\n)-([^\r]*)\r\n")
"""A complete error reply (``-WRONGTYPE Operation against a key...``): its text. An entry id never starts with ``-``."""
SHORTEST_REPLY = len(b"$15\r\n1764756000000-0\r\n")
"""An entry id's reply: 13 digits of milliseconds (any time from 2001 on), a dash and a sequence number. An error
reply is longer (an error shorter than that, too short to be waited for, fails the batch at the socket's timeout)."""


def bulk(value: bytes) -> bytes:
    """One argument of a command in the Redis protocol (RESP)."""
    return b"$%d\r\n%b\r\n" % (len(value), value)


def packed_xadds(key: bytes, max_length: int | None, batch_id: bytes, data: bytes) -> tuple[bytes, int]:
    """``XADD key [MAXLEN ~ n] * line LINE batch ID`` for each of ``data``'s lines, in the Redis protocol, and how
    many commands that is.

    >>> packed_xadds(b"k", None, b"b1", b'{"a":1}\\n{"b":2}\\n')[1]
    2
    >>> packed_xadds(b"k", 1000, b"b1", b"x\\n")[0].replace(b"\\r\\n", b" ")
    b'*10 $4 XADD $1 k $6 MAXLEN $1 ~ $4 1000 $1 * $4 line $1 x $5 batch $2 b1 '
    """
    lines = data.split(b"\n")
    lines.pop()  # what follows the last newline: nothing
    trim = [b"MAXLEN", b"~", b"%d" % max_length] if max_length is not None else []
    head = b"*%d\r\n" % (7 + len(trim)) + b"".join(map(bulk, [b"XADD", key, *trim, b"*", b"line"])) + b"$"
    tail = b"\r\n" + bulk(b"batch") + bulk(batch_id)
    pieces = zip(itertools.repeat(head), map(b"%d\r\n".__mod__, map(len, lines)), lines, itertools.repeat(tail))
    return b"".join(itertools.chain.from_iterable(pieces)), len(lines)


class RedisSink:
    def __init__(self, config: RedisSinkConfig, name: str = "redis") -> None:
        try:
            import redis
        except ImportError:
            raise SinkError(f"{name}: a Redis sink needs the redis package: pip install 'raspberry-wabbit[sinks]'") from None
        self.name, self.config = name, config
        self._errors = (redis.RedisError, OSError, RefusedError)
        self.client = redis.Redis.from_url(config.url, socket_timeout=10, socket_connect_timeout=5)

    def send(self, data: bytes, batch_id: str) -> None:
        commands, count = packed_xadds(self.config.key.encode(), self.config.max_length, batch_id.encode(), data)
        pool = self.client.connection_pool
        try:
            connection: Any = pool.get_connection()  # redis-py's connections are untyped
        except self._errors as err:
            raise SinkError(f"{self.name}: cannot reach {self.config.url} ({err})") from None
        try:
            connection.send_packed_command([commands], check_health=False)
            _replies(connection._sock, count)
        except self._errors as err:
            connection.disconnect()  # replies still on their way must not be read as the next batch's
            raise SinkError(f"{self.name}: {self.config.url} did not add the batch ({err})") from None
        finally:
            pool.release(connection)

    def close(self) -> None:
        self.client.close()

    def stats(self) -> dict[str, Any]:
        return {"type": "redis", "key": self.config.key}


class RefusedError(Exception):
    """The server answered an ``XADD`` with an error (its text is the message)."""


def _replies(sock: socket.socket | None, count: int) -> None:
    """Read ``count`` ``XADD`` replies, each an entry id (``$15\\r\\n1764756000000-0\\r\\n``: two lines), or raise at
    the first error reply (a line starting with ``-``; an id has none). redis-py 8.1 (pinned) keeps its connection's
    socket in ``_sock`` and reads nothing ahead of a command's replies, so the socket holds exactly these.

    The server writes the replies in a dozen blocks a batch (one per 16 KB of commands it reads); the socket's
    low-water mark (``SO_RCVLOWAT``, the shortest the replies can be) makes one read take nearly all: each read is
    two system calls that hand the interpreter's lock to the loop's thread and wait to get it back. Not over TLS,
    whose layer may hold part of a record already, which the mark would wait for again (until the timeout)."""
    if sock is None:
        raise ConnectionError("not connected")
    low_water = not isinstance(sock, ssl.SSLSocket)  # TLS: what its layer took in already would not count
    replies = bytearray()
    while replies.count(b"\r\n") < 2 * count:
        least = min(max(count * SHORTEST_REPLY - len(replies), 1), 1 << 20)
        if low_water:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, least)
        chunk = sock.recv(max(least, 1 << 16))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        replies += chunk
        if replies.startswith(b"-") or b"\r\n-" in replies:  # the plain search first: ten times the regex's speed
            refused = ERROR_REPLY.search(replies)
            if refused is not None:
                raise RefusedError(refused[1].decode(errors="replace"))
    if low_water:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)  # redis-py's own reads wait for any byte
