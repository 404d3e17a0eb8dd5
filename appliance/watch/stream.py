"""The daemon's live events, read from ``GET /api/stream`` (server-sent events) with its access token: the same
``decision``, ``reward``, ``joined`` and ``stats`` items the dashboard gets. Plain ``urllib``: nothing to install.

>>> lines = ["retry: 2000", "event: stats", 'data: {"uptime_s": 1.5}', "", ": keep-alive", "",
...          "event: decision", 'data: {"action": "warm",', 'data: "probability": 0.9}', ""]
>>> list(server_sent_events(lines))
[('stats', {'uptime_s': 1.5}), ('decision', {'action': 'warm', 'probability': 0.9})]
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any, Callable, Iterable, Iterator

from appliance.errors import UsageError

Item = tuple[str, dict[str, Any]]


def server_sent_events(lines: Iterable[str]) -> Iterator[Item]:
    """``(event name, JSON data)`` for each event of a server-sent event stream's lines (comments and retries skipped)."""
    kind, data = "message", list[str]()
    for line in lines:
        if not line:
            if data:
                yield kind, json.loads("\n".join(data))
            kind, data = "message", list[str]()
        elif line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def follow(url: str, token: str, on_item: Callable[[str, dict[str, Any]], None], stop: threading.Event,
           timeout_s: float = 30.0) -> None:
    """Hand every event of ``url``'s stream to ``on_item`` until ``stop`` is set (checked at each event; the daemon
    sends its stats every second) or the stream ends."""
    request = urllib.request.Request(f"{url.rstrip('/')}/api/stream",
                                     headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as err:
        if err.code == 401:
            raise UsageError(f"{url} refused the access token; it is in the daemon's data directory (token)") from None
        raise UsageError(f"{url}/api/stream answered HTTP {err.code}") from None
    except OSError as err:
        raise UsageError(f"cannot reach {url} ({err}); is `wabbit run` running there?") from None
    with response:
        lines = (raw.decode("utf-8").rstrip("\r\n") for raw in response)
        for kind, data in server_sent_events(lines):
            if stop.is_set():
                return
            on_item(kind, data)
