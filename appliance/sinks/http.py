"""Each batch POSTed as JSON lines (``application/x-ndjson``) with an ``X-Wabbit-Batch`` header (its id, so the
receiver can drop a batch it already has) and, with ``token_file``, ``Authorization: Bearer``; a 2xx answer
acknowledges it. A refusal's message (a 401's: where the token is) is part of the error the shipper reports."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from appliance.config.log_sinks import HTTPSinkConfig
from appliance.sinks.base import SinkError


class HTTPSink:
    def __init__(self, config: HTTPSinkConfig, name: str = "http") -> None:
        self.name, self.config = name, config
        self.last_status: int | None = None

    def send(self, data: bytes, batch_id: str) -> None:
        headers = {**self.config.headers, "Content-Type": "application/x-ndjson", "X-Wabbit-Batch": batch_id}
        if self.config.token_file is not None:
            headers["Authorization"] = f"Bearer {self._token(self.config.token_file)}"
        request = urllib.request.Request(self.config.url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                self.last_status = response.status
        except urllib.error.HTTPError as err:
            self.last_status = err.code
            said = err.read(300).decode("utf-8", "replace").strip()
            raise SinkError(f"{self.name}: {self.config.url} answered HTTP {err.code} {err.reason}"
                            + (f": {said}" if said else "")) from None
        except (urllib.error.URLError, OSError) as err:
            raise SinkError(f"{self.name}: cannot reach {self.config.url} ({getattr(err, 'reason', err)})") from None

    def _token(self, path: Path) -> str:
        try:
            token = path.read_text().strip()
        except OSError as err:
            raise SinkError(f"{self.name}: cannot read its token_file {path} ({err.strerror})") from None
        if not token:
            raise SinkError(f"{self.name}: its token_file {path} is empty")
        return token

    def close(self) -> None:
        """Nothing held between batches."""

    def stats(self) -> dict[str, Any]:
        return {"type": "http", "url": self.config.url, "last_status": self.last_status}
