"""A response's head and body leave in one write (appliance/server/serve.py ``Corked``)."""

from __future__ import annotations

import asyncio

from appliance.server.serve import Corked


class Recorder(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_writes_in_one_turn_of_the_loop_leave_as_one_and_close_sends_what_is_left_first() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], list[bytes], bool]:
        transport = Recorder()
        corked = Corked(transport, asyncio.get_running_loop())
        corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        corked.write(b"{}")
        held = list(transport.writes)
        await asyncio.sleep(0)
        one = list(transport.writes)
        corked.write(b"bye")
        corked.close()
        await asyncio.sleep(0)
        corked.write(b"after close")
        await asyncio.sleep(0)
        return held, one, transport.writes, corked.is_closing()

    held, one, last, closing = asyncio.run(scenario())
    assert held == []
    assert one == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert last == [*one, b"bye"] and closing  # nothing written to a closed transport
