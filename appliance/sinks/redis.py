"""Each line added to a Redis stream as an entry of its own (``XADD``, ``MAXLEN ~`` when set) with its batch id: one
Lua script per batch adds them all on the server, whose one reply (the count added) acknowledges the batch. Needs
the ``sinks`` extra (redis).

A script, not a pipeline of one ``XADD`` per line: redis-py packs each command and parses each reply in Python, in
the loop's process (about 30 µs a line here, 18 with hiredis); the script is one command and one reply (under 5 µs
a line). The batch goes to it whole, as one argument the script splits into lines on the server: as one argument
per line, redis-py packed every line in Python and sent the command in dozens of pieces, each a system call that
hands the interpreter's lock to the loop's thread and waits to get it back. A consumer sees the same entries in the
same order; the server runs a batch's script whole, with no other client's commands in between. A batch that fails
is sent again, whole (at least once)."""

from __future__ import annotations

from typing import Any

from appliance.config.log_sinks import RedisSinkConfig
from appliance.sinks.base import SinkError

ADD_LINES = """
local added = 0
for line in string.gmatch(ARGV[3], '([^\\n]*)\\n') do
  if ARGV[1] == '' then
    redis.call('XADD', KEYS[1], '*', 'line', line, 'batch', ARGV[2])
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'line', line, 'batch', ARGV[2])
  end
  added = added + 1
end
return added
"""
"""KEYS[1]: the stream; ARGV: the MAXLEN (empty: none), the batch id, the batch (lines, each ending in its newline)."""


class RedisSink:
    def __init__(self, config: RedisSinkConfig, name: str = "redis") -> None:
        try:
            import redis
        except ImportError:
            raise SinkError(f"{name}: a Redis sink needs the redis package: pip install 'raspberry-wabbit[sinks]'") from None
        self.name, self.config = name, config
        self._errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(config.url, socket_timeout=10, socket_connect_timeout=5)
        self._add_lines = self.client.register_script(ADD_LINES)  # EVALSHA, loaded again if the server lost it

    def send(self, data: bytes, batch_id: str) -> None:
        line_count = data.count(b"\n")
        maxlen = "" if self.config.max_length is None else str(self.config.max_length)
        try:
            added = self._add_lines(keys=[self.config.key], args=[maxlen, batch_id, data])
        except self._errors as err:
            raise SinkError(f"{self.name}: {self.config.url} refused the batch ({err})") from None
        if added != line_count:
            raise SinkError(f"{self.name}: {self.config.url} added {added} of the batch's {line_count} lines; it is sent again")

    def close(self) -> None:
        self.client.close()

    def stats(self) -> dict[str, Any]:
        return {"type": "redis", "key": self.config.key}
