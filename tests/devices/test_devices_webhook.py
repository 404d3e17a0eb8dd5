"""The webhook actuator against a loopback HTTP server: JSON body, timeout, bounded retries, bounded queue."""

from __future__ import annotations

import time
from typing import Any

from devices_support import answering, json_body, wait_until
from pydantic import TypeAdapter

from appliance.actuators import build_actuator
from appliance.config.actuators import ActuatorConfig


def webhook(url: str, **extra: Any) -> Any:
    config = TypeAdapter(ActuatorConfig).validate_python({"type": "webhook", "url": url, "backoff_s": 0.01, **extra})
    return build_actuator(config, "hook")


def test_posts_each_decision_and_retries_5xx(http_server: Any) -> None:
    failures = iter([500, 503])
    http_server.handler = lambda m, p, h, b: (next(failures, 200), {}, b"{}")
    hook = webhook(http_server.url + "/hook", payloads={"warm": {"scene": "sunset"}}, headers={"X-Key": "k"},
                   safe_payload={"action": None})
    hook.act({"event_id": "e1", "action": "warm", "probability": 0.9, "model_version": 3, "timestamp": 1.0})
    wait_until(lambda: hook.stats()["sent"] == 1, what="the POST to succeed")
    assert len(http_server.requests) == 3 and hook.stats()["retried"] == 2
    request = http_server.requests[-1]
    assert request["method"] == "POST" and request["path"] == "/hook" and request["headers"]["X-Key"] == "k"
    assert json_body(request) == {"event_id": "e1", "action": "warm", "probability": 0.9, "model_version": 3,
                                  "timestamp": 1.0, "payload": {"scene": "sunset"}}
    hook.close()
    assert json_body(http_server.requests[-1]) == {"action": None}  # the safe state is posted on close


def test_4xx_is_not_retried_and_retries_are_bounded(http_server: Any) -> None:
    http_server.handler = lambda m, p, h, b: (404, {}, b"")
    hook = webhook(http_server.url, retries=3)
    hook.act({"event_id": "e1", "action": "warm"})
    wait_until(lambda: hook.stats()["failed"] == 1, what="the 404")
    assert len(http_server.requests) == 1 and "HTTP 404" in hook.stats()["last_error"]
    http_server.handler = lambda m, p, h, b: (500, {}, b"")
    hook.act({"event_id": "e2", "action": "warm"})
    wait_until(lambda: hook.stats()["failed"] == 2, what="the retries to run out")
    assert len(http_server.requests) == 1 + 4
    hook.close()


def test_a_redirect_is_a_failure_naming_where_it_points_not_a_get_without_the_body(http_server: Any) -> None:
    # urllib follows a 302 to a POST with a GET that drops the body; the receiver never sees the decision
    http_server.handler = lambda m, p, h, b: (302, {"Location": "/moved"}, b"") if p == "/hook" else (200, {}, b"{}")
    hook = webhook(http_server.url + "/hook")
    hook.act({"event_id": "e1", "action": "warm"})
    wait_until(lambda: hook.stats()["failed"] == 1, what="the redirect to count as a failure")
    assert hook.stats()["sent"] == 0 and [r["path"] for r in http_server.requests] == ["/hook"]
    assert "HTTP 302" in hook.stats()["last_error"] and "/moved" in hook.stats()["last_error"]
    hook.close()


def test_a_slow_endpoint_never_blocks_act_and_the_queue_is_bounded(http_server: Any) -> None:
    http_server.handler = lambda m, p, h, b: (time.sleep(0.3), (200, {}, b"{}"))[1]
    hook = webhook(http_server.url, timeout_s=2, queue_size=2)
    started = time.monotonic()
    for i in range(6):
        hook.act({"event_id": f"e{i}", "action": "warm"})
    assert time.monotonic() - started < 0.1
    wait_until(lambda: hook.stats()["sent"] + hook.stats()["dropped"] == 6, timeout=5, what="the queue to drain")
    assert hook.stats()["dropped"] >= 3
    assert json_body(http_server.requests[-1])["event_id"] == "e5"  # the newest decision always gets out
    hook.close()


def test_timeout_counts_as_a_failure(http_server: Any) -> None:
    http_server.handler = lambda m, p, h, b: (time.sleep(0.5), (200, {}, b"{}"))[1]
    hook = webhook(http_server.url, timeout_s=0.1, retries=1)
    hook.act({"event_id": "e1", "action": "warm"})
    wait_until(lambda: hook.stats()["failed"] == 1, what="the timeout")
    assert "timed out" in hook.stats()["last_error"]
    hook.close()


def test_an_answer_that_is_not_http_is_a_failure_and_the_worker_carries_on() -> None:
    # a URL with the wrong port (an SSH server, a broker) answers with something that is not HTTP: http.client
    # raises BadStatusLine, which is not an OSError; the worker must count it and go on with the next decision
    ssh = b"SSH-2.0-OpenSSH_9.2\r\n"
    with answering([ssh, ssh], then=b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") as url:  # the POST, its retry; then HTTP
        hook = webhook(url + "/hook", retries=1)
        try:
            hook.act({"event_id": "e1", "action": "warm"})
            wait_until(lambda: hook.stats()["failed"] == 1, what="the answer that is not HTTP to count as a failure")
            assert "BadStatusLine" in hook.stats()["last_error"] and hook.stats()["retried"] == 1
            hook.act({"event_id": "e2", "action": "warm"})
            wait_until(lambda: hook.stats()["sent"] == 1, what="the next decision to be posted")
        finally:
            hook.close()

def test_the_safe_state_is_posted_on_close_with_a_queue_of_one(http_server: Any) -> None:
    # queue_size 1 ("only the latest decision matters"): closing while a POST is under way must still post the safe state
    http_server.handler = lambda m, p, h, b: (time.sleep(0.2), (200, {}, b"{}"))[1]
    hook = webhook(http_server.url, queue_size=1, safe_payload={"state": "off"})
    hook.act({"event_id": "e1", "action": "warm"})
    wait_until(lambda: len(http_server.requests) == 1, what="the first POST under way")
    hook.close()
    assert [json_body(r).get("event_id", json_body(r)) for r in http_server.requests] == ["e1", {"state": "off"}]
    assert hook.stats()["dropped"] == 0


def test_stopping_the_devices_posts_the_safe_state_once(http_server: Any) -> None:
    # Devices.stop sends every actuator to its safe state, then closes it: close must not post the safe state again
    from appliance.devices import Devices

    config = TypeAdapter(list[ActuatorConfig]).validate_python([{"type": "webhook", "url": http_server.url, "safe_payload": {"state": "off"}}])
    devices = Devices.from_config(config, [])
    devices.actuators[0].act({"event_id": "e1", "action": "warm"})
    devices.stop()
    assert [json_body(r).get("event_id", json_body(r)) for r in http_server.requests] == ["e1", {"state": "off"}]
