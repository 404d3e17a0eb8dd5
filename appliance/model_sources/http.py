"""A model at a URL, pulled with ``If-None-Match``: an unchanged model costs a 304, not a download.

It speaks to another appliance's ``GET /api/model`` as it is (pass its token in ``headers``): an
``X-Model-SHA256`` header, when the server sends one, is checked against the bytes that arrived.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from typing import Any

from appliance.config.model_source import HTTPModelSourceConfig
from appliance.model_sources.base import ModelSourceError, ModelUpdate

MAX_BYTES = 64 * 1024 * 1024


class HTTPModelSource:
    def __init__(self, config: HTTPModelSourceConfig, name: str = "http") -> None:
        self.name, self.config = name, config
        self.etag: str | None = None
        self.not_modified = 0
        self.last_status: int | None = None

    def fetch(self) -> ModelUpdate | None:
        headers = {**self.config.headers, **({"If-None-Match": self.etag} if self.etag else {})}
        request = urllib.request.Request(self.config.url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
                self.last_status = response.status
                data = response.read(MAX_BYTES + 1)
                etag, digest = response.headers.get("ETag"), response.headers.get("X-Model-SHA256")
        except urllib.error.HTTPError as err:
            self.last_status = err.code
            if err.code == 304:
                self.not_modified += 1
                return None
            raise ModelSourceError(f"{self.config.url}: HTTP {err.code} {err.reason}; check the URL and its headers (a token?)") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ModelSourceError(f"{self.config.url}: cannot fetch the model ({reason}); is the server up?") from None
        if len(data) > MAX_BYTES:
            raise ModelSourceError(f"{self.config.url}: the model is larger than {MAX_BYTES} bytes; this appliance takes smaller ones")
        if digest is not None and hashlib.sha256(data).hexdigest() != digest.strip().lower():
            raise ModelSourceError(f"{self.config.url}: the model's SHA-256 is not the X-Model-SHA256 it came with (cut short?); will retry")
        self.etag = etag
        return ModelUpdate(data, f"{self.config.url} (ETag {etag})" if etag else self.config.url)

    def close(self) -> None:
        """Nothing held between looks."""

    def stats(self) -> dict[str, Any]:
        return {"type": "http", "url": self.config.url, "etag": self.etag, "last_status": self.last_status,
                "not_modified": self.not_modified}
