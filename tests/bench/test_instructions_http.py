"""The ``http`` workload of the instruction counts (appliance/bench/instructions.py) serves real decides through the
daemon's uvicorn protocol and ASGI front: each answer a whole 200 with its security headers, in one write."""

from __future__ import annotations

import orjson

from appliance.bench.instructions import http_answers, main


def test_each_decide_is_answered_in_one_write_as_the_daemon_answers_it() -> None:
    answers = http_answers(30)
    assert len(answers) == 30
    ids = set()
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        assert lines[0] == b"HTTP/1.1 200 OK"
        headers = dict(line.split(b": ", 1) for line in lines[1:])
        assert headers[b"content-type"] == b"application/json" and int(headers[b"content-length"]) == len(body)
        assert headers[b"x-frame-options"] == b"DENY" and headers[b"x-content-type-options"] == b"nosniff"
        decision = orjson.loads(body)
        assert decision["action"] in {"a0", "a1", "a2", "a3"}
        ids.add(decision["event_id"])
    assert len(ids) == 30


def test_the_workload_runs_from_the_command_line() -> None:
    assert main(["http", "5"]) == 0
