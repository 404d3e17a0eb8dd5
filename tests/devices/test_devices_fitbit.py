"""The Fitbit adapter against a loopback server that speaks the documented intraday endpoints and rate-limit headers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from devices_support import answering, wait_until
from pydantic import TypeAdapter

from appliance.config.feedback import FeedbackConfig
from appliance.devices import Devices
from appliance.feedback import FeedbackError, build_feedback
from appliance.feedback.base import Rewarder
from appliance.feedback.fake import RecordingTarget

HEART = "/1/user/-/activities/heart/date/today/1d/1min.json"
STEPS = "/1/user/-/activities/steps/date/today/1d/15min.json"


class FakeFitbit:
    """Serves heart-rate and steps series; ``remaining``/``reset`` feed the rate-limit headers."""

    def __init__(self) -> None:
        self.heart = [{"time": "08:00:00", "value": 70}, {"time": "08:01:00", "value": 80}]
        self.steps = [{"time": "08:00:00", "value": 100}, {"time": "08:15:00", "value": 300}]
        self.remaining, self.reset, self.status = 149, 1200, 200

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        limits = {"Fitbit-Rate-Limit-Limit": "150", "Fitbit-Rate-Limit-Remaining": str(self.remaining),
                  "Fitbit-Rate-Limit-Reset": str(self.reset)}
        if headers.get("Authorization") != "Bearer sekrit":
            return 401, limits, json.dumps({"errors": [{"errorType": "invalid_token"}]}).encode()
        if self.status != 200:
            return self.status, {**limits, "Retry-After": str(self.reset)}, b"{}"
        if path == HEART:
            data = {"activities-heart": [{"dateTime": "today", "value": {}}],
                    "activities-heart-intraday": {"dataset": self.heart, "datasetInterval": 1, "datasetType": "minute"}}
        elif path == STEPS:
            data = {"activities-steps": [{"dateTime": "today", "value": "400"}],
                    "activities-steps-intraday": {"dataset": self.steps, "datasetInterval": 15, "datasetType": "minute"}}
        else:
            return 404, limits, b"{}"
        return 200, limits, json.dumps(data).encode()


def fitbit(url: str, **extra: Any) -> Any:
    config = TypeAdapter(FeedbackConfig).validate_python({"type": "fitbit", "base_url": url, "token": "sekrit", **extra})
    return build_feedback(config, "fitbit")


def test_heart_rate_becomes_a_reward_for_new_samples_only(http_server: Any) -> None:
    server = http_server.handler = FakeFitbit()
    source = fitbit(http_server.url, transform={"scale": 0.01, "offset": -0.7})
    target = RecordingTarget()
    source.rewarder = Rewarder(target, source.mapping, source.name)
    assert source.poll_once() == 300.0  # poll_s by default
    assert target.rewards == [("latest", 0.1)]  # first poll: the latest sample only, 80 bpm
    server.heart.append({"time": "08:02:00", "value": 90})
    server.heart.append({"time": "08:03:00", "value": 100})
    source.poll_once()
    assert target.rewards[-1] == ("latest", 0.25)  # mean of 90 and 100
    source.poll_once()
    assert len(target.rewards) == 2  # nothing new
    assert http_server.requests[0]["path"] == HEART and http_server.requests[0]["headers"]["Authorization"] == "Bearer sekrit"
    assert source.stats()["rate_limit_remaining"] == 149


def test_rate_limit_headers_and_429_delay_the_next_poll(http_server: Any) -> None:
    server = http_server.handler = FakeFitbit()
    source = fitbit(http_server.url, metric="steps", poll_s=1, min_remaining=5)
    source.rewarder = Rewarder(RecordingTarget(), source.mapping, source.name)
    server.remaining, server.reset = 3, 900
    assert source.poll_once() == 900.0
    server.status, server.reset = 429, 1800
    assert source.poll_once() == 1800.0
    assert source.stats()["rate_limited"] == 2 and "rate limited" in source.stats()["last_error"]


def test_polling_thread_through_devices_and_the_real_loop(http_server: Any, make_loop: Any) -> None:
    http_server.handler = FakeFitbit()
    loop = make_loop(reward_wait_s=60)
    config = TypeAdapter(list[FeedbackConfig]).validate_python([{
        "type": "fitbit", "name": "steps", "metric": "steps", "base_url": http_server.url, "token": "sekrit",
        "poll_s": 0.05, "transform": {"scale": 0.001}}])
    devices = Devices.from_config([], config)
    decision, _ = loop.decide({"sensors": {"x": 1.0}})  # before the first poll: its samples reward this decision
    devices.start(loop)
    wait_until(lambda: devices.stats()["feedback"]["steps"]["accepted"] == 1, what="a steps reward")
    devices.stop()
    assert [r.value for r in loop.joiner.rewards_of(decision.event_id)] == [0.3]
    assert devices.stats()["feedback"]["steps"]["polls"] >= 1


def test_bad_token_and_bad_answers_are_counted(http_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    http_server.handler = FakeFitbit()
    source = fitbit(http_server.url, token="wrong")
    source.rewarder = Rewarder(RecordingTarget(), source.mapping, source.name)
    source.poll_once()
    assert "HTTP 401" in source.stats()["last_error"] and "renew" in source.stats()["last_error"]
    http_server.handler = lambda m, p, h, b: (200, {}, b'{"activities-heart": []}')
    source.poll_once()
    assert source.stats()["bad"] == 1
    monkeypatch.delenv("FITBIT_ACCESS_TOKEN", raising=False)
    with pytest.raises(FeedbackError, match="no access token"):
        build_feedback(TypeAdapter(FeedbackConfig).validate_python({"type": "fitbit", "base_url": http_server.url}), "f")
    monkeypatch.setenv("FITBIT_ACCESS_TOKEN", "sekrit")
    assert build_feedback(TypeAdapter(FeedbackConfig).validate_python({"type": "fitbit"}), "f").url.startswith("https://api.fitbit.com/1/user/-/")


def test_polling_goes_on_past_midnight(http_server: Any) -> None:
    # the endpoint serves today's series: after midnight it starts again at 00:00:00, earlier than yesterday's last sample
    server = http_server.handler = FakeFitbit()
    server.heart = [{"time": "23:58:00", "value": 70}, {"time": "23:59:00", "value": 80}]
    source = fitbit(http_server.url)
    target = RecordingTarget()
    source.rewarder = Rewarder(target, source.mapping, source.name)
    source.poll_once()
    server.heart = [{"time": "00:00:00", "value": 60}, {"time": "00:01:00", "value": 62}]
    source.poll_once()
    server.heart.append({"time": "00:02:00", "value": 70})
    source.poll_once()
    source.poll_once()
    assert target.rewards == [("latest", 80.0), ("latest", 61.0), ("latest", 70.0)]
    assert source.stats()["samples"] == 4


def test_an_answer_cut_short_is_an_error_and_polling_goes_on() -> None:
    # Wi-Fi drops mid-answer: the body ends before its Content-Length (http.client's IncompleteRead, not an OSError)
    with answering([], then=b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"activities-heart-intraday"') as url:
        source = fitbit(url, poll_s=0.05)
        source.start(RecordingTarget())
        try:
            wait_until(lambda: source.stats()["http_errors"] >= 3, what="three polls, each cut short")
            assert "IncompleteRead" in source.stats()["last_error"]
        finally:
            source.stop()
