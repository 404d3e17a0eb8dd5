"""Heart rate or steps from the Fitbit Web API, polled, turned into a reward for the latest decision.

Endpoints (intraday, today): ``/1/user/-/activities/heart/date/today/1d/1min.json`` and
``/1/user/-/activities/steps/date/today/1d/15min.json`` with ``Authorization: Bearer TOKEN``. The samples
new since the last poll are combined (``aggregate``) into one raw signal; the first poll takes only the
latest sample. The rate limit is respected: when ``Fitbit-Rate-Limit-Remaining`` falls below
``min_remaining``, or on HTTP 429, polling waits ``Fitbit-Rate-Limit-Reset`` (or ``Retry-After``) seconds.

>>> body = {"activities-heart-intraday": {"dataset": [{"time": "08:00:00", "value": 70}, {"time": "08:01:00", "value": 74}]}}
>>> new_samples(body, "heart_rate", "08:00:00")
[('08:01:00', 74.0)]
>>> new_samples(body, "heart_rate", "23:59:00")  # a new day: today's series starts again at midnight
[('08:00:00', 70.0), ('08:01:00', 74.0)]
>>> combine([70.0, 74.0], "mean")
72.0
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from typing import Any

from appliance.config.feedback import FitbitConfig
from appliance.feedback.base import BaseFeedback, FeedbackError

log = logging.getLogger(__name__)

PATHS = {
    "heart_rate": ("/1/user/-/activities/heart/date/today/1d/1min.json", "activities-heart-intraday"),
    "steps": ("/1/user/-/activities/steps/date/today/1d/15min.json", "activities-steps-intraday"),
}


def new_samples(body: Any, metric: str, after: str | None) -> list[tuple[str, float]]:
    """``(time, value)`` of the intraday samples later than ``after`` (all if None), oldest first. When the latest
    sample is earlier than ``after``, the day changed since (the series is today's): all its samples are new."""
    dataset = body[PATHS[metric][1]]["dataset"]
    samples = sorted((str(p["time"]), float(p["value"])) for p in dataset)
    if after is not None and samples and samples[-1][0] < after:
        return samples
    return [s for s in samples if after is None or s[0] > after]


def combine(values: list[float], how: str) -> float:
    """One raw signal from several samples: ``latest``, ``mean``, ``sum`` or ``max``."""
    if how == "latest":
        return values[-1]
    if how == "sum":
        return sum(values)
    if how == "max":
        return max(values)
    return sum(values) / len(values)


class FitbitFeedback(BaseFeedback):
    kind = "fitbit"

    def __init__(self, config: FitbitConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, config)
        self.config = config
        token = config.token.get_secret_value() if config.token else os.environ.get(config.token_env, "")
        if not token:
            raise FeedbackError(
                f"feedback {name} (fitbit): no access token; set `token` in the config or the {config.token_env} "
                "environment variable (an OAuth2 token with the heartrate/activity scope)"
            )
        self._token = token
        self.url = config.base_url + PATHS[config.metric][0]
        self.polls = self.samples = self.http_errors = self.rate_limited = 0
        self.remaining: int | None = None
        self.last_sample: str | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fitbit-{name}", daemon=True)

    def _start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(self.config.timeout_s + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._stop.wait(self.poll_once())

    def poll_once(self) -> float:
        """One request; returns the seconds to wait before the next."""
        self.polls += 1
        request = urllib.request.Request(self.url, headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                headers, body = response.headers, json.loads(response.read())
        except urllib.error.HTTPError as err:
            self.http_errors += 1
            wait = self._rate_limit(err.headers, err.code == 429)
            fix = {401: "the token is invalid or expired: renew it", 403: "the token lacks the heartrate/activity scope",
                   429: "rate limited"}.get(err.code, "")
            self._error(f"HTTP {err.code} from {self.url}" + (f": {fix}" if fix else ""))
            return max(wait, self.config.poll_s)
        except (OSError, ValueError, http.client.HTTPException) as err:  # HTTPException: an answer cut short, or not HTTP
            self.http_errors += 1
            self._error(f"GET {self.url}: {type(err).__name__}: {err}")
            return self.config.poll_s
        wait = self._rate_limit(headers, False)
        try:
            samples = new_samples(body, self.config.metric, self.last_sample)
        except (KeyError, TypeError, ValueError) as err:
            if self.rewarder:
                self.rewarder.bad(f"unexpected Fitbit answer from {self.url} ({type(err).__name__}: {err})")
            return max(wait, self.config.poll_s)
        if samples:
            if self.last_sample is None:
                samples = samples[-1:]  # the first poll: only what is happening now
            self.last_sample = samples[-1][0]
            self.samples += len(samples)
            self.signal(combine([v for _, v in samples], self.config.aggregate))
        return max(wait, self.config.poll_s)

    def _rate_limit(self, headers: Any, limited: bool) -> float:
        """Seconds to wait because of the rate limit (0 when there is room)."""
        def number(name: str) -> float | None:
            try:
                return float(headers.get(name)) if headers is not None and headers.get(name) is not None else None
            except ValueError:
                return None

        remaining, reset = number("Fitbit-Rate-Limit-Remaining"), number("Fitbit-Rate-Limit-Reset")
        self.remaining = None if remaining is None else int(remaining)
        if limited or (remaining is not None and remaining < self.config.min_remaining):
            self.rate_limited += 1
            wait = reset if reset is not None else number("Retry-After")
            log.warning("feedback %s: Fitbit rate limit reached; next poll in %.0f s", self.name, wait or 3600)
            return wait if wait is not None else 3600.0
        return 0.0

    def _error(self, message: str) -> None:
        self.last_error = message
        log.warning("feedback %s: %s", self.name, message)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "metric": self.config.metric, "polls": self.polls, "samples": self.samples,
                "http_errors": self.http_errors, "rate_limited": self.rate_limited,
                "rate_limit_remaining": self.remaining, "last_error": self.last_error}
