"""POST each decision as JSON to a URL from a worker thread: a timeout, bounded retries, a bounded queue.

``act`` only enqueues, so a slow or dead endpoint never holds up a decision; when the queue is full the
oldest waiting decision is dropped and counted. Retries follow connection errors and 5xx answers (4xx is
the receiver saying no: not retried). On close the worker drains what is queued (the safe state last).
"""

from __future__ import annotations

import http.client
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from typing import Any, Mapping

from appliance.actuators.base import BaseActuator
from appliance.config.actuators import WebhookActuatorConfig

log = logging.getLogger(__name__)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not followed: urllib would resend a POST as a GET without its body."""

    def redirect_request(self, *args: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)
_STOP = object()


class WebhookActuator(BaseActuator):
    kind = "webhook"

    def __init__(self, config: WebhookActuatorConfig, name: str, pin_factory: Any = None) -> None:
        super().__init__(name, config.hold_s)
        self.config = config
        self.sent = self.failed = self.dropped = self.retried = 0
        self.last_status: int | None = None
        self._queue: queue.Queue[Any] = queue.Queue()  # queue_size bounds the bodies (_enqueue), never the stop mark
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._run, name=f"webhook-{name}", daemon=True)
        self._worker.start()

    def _enqueue(self, body: Any) -> None:
        """Queue ``body``, dropping the oldest when ``queue_size`` are waiting (callers hold the actuator's lock)."""
        while self._queue.qsize() >= self.config.queue_size:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break  # the worker took it meanwhile
            self.dropped += 1
            log.warning("actuator %s: queue full (%d); dropped the oldest decision", self.name, self.config.queue_size)
        self._queue.put_nowait(body)

    def _apply(self, action: str, decision: Mapping[str, Any]) -> bool:
        body = {k: decision.get(k) for k in ("event_id", "action", "probability", "model_version", "timestamp")}
        if action in self.config.payloads:
            body["payload"] = self.config.payloads[action]
        self._enqueue(body)
        return True  # every decision is posted; `payloads` only adds to it

    def _off(self) -> None:
        if self.config.safe_payload is not None:
            self._enqueue(self.config.safe_payload)

    def _state(self) -> Any:
        return {"queued": self._queue.qsize(), "last_status": self.last_status}

    def _release(self) -> None:
        self._queue.put_nowait(_STOP)  # behind what is queued, the safe state last; it drops nothing
        budget = min(30.0, (self.config.timeout_s + self.config.backoff_s * 2) * (self.config.retries + 1) * 2)
        self._worker.join(budget)
        self._stopping.set()  # anything left stops retrying
        self._worker.join(self.config.timeout_s + 0.5)

    def _run(self) -> None:
        while True:
            body = self._queue.get()
            if body is _STOP:
                return
            self._post(body)

    def _post(self, body: Any) -> None:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "raspberry-wabbit", **self.config.headers}
        delay = self.config.backoff_s
        for attempt in range(self.config.retries + 1):
            request = urllib.request.Request(self.config.url, data=data, headers=headers, method="POST")
            try:
                with _OPENER.open(request, timeout=self.config.timeout_s) as response:
                    self.last_status = response.status
                self.sent += 1
                return
            except urllib.error.HTTPError as err:
                self.last_status = err.code
                error = f"HTTP {err.code}"
                if 300 <= err.code < 400:
                    error += f": the endpoint redirects to {err.headers.get('Location')!r}; set the webhook's url to where it points"
                if err.code < 500:
                    break  # the receiver refused this body: retrying will not help
            except (OSError, ValueError, http.client.HTTPException) as err:  # HTTPException: an answer that is not HTTP
                error = f"{type(err).__name__}: {err}"
            if attempt < self.config.retries:
                self.retried += 1
                if self._stopping.wait(delay):
                    break
                delay *= 2
        self.failed += 1
        self.last_error = f"POST {self.config.url}: {error}"
        log.warning("actuator %s: %s (after %d attempts)", self.name, self.last_error, attempt + 1)

    def stats(self) -> dict[str, Any]:
        return {**super().stats(), "sent": self.sent, "failed": self.failed, "dropped": self.dropped, "retried": self.retried}
