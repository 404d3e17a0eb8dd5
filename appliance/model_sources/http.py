"""A model at a URL, pulled with ``If-None-Match`` (or ``If-Modified-Since``, from a plain file server that sends no
ETag): an unchanged model costs a 304, not a download. From a server that sends neither, the same bytes again are
not installed again (each install would undo what the loop learned since).

It speaks to another appliance's ``GET /api/model`` as it is (pass its token in ``headers``): an
``X-Model-SHA256`` header, when the server sends one, is checked against the bytes that arrived; an
``X-Model-Version`` header (the version the server runs the model as) is the version the model is installed as
here when above every version the model here has had (else it runs as the next one). An https URL is checked
against the system's CAs, or against ``ca_file`` (a private CA, a self-signed server): certificate and host name
both, always. A 404 whose JSON body says ``"published": false`` (the fleet's collector, before the central side
has published its first model) is no error: the source logs once, at info level, that it waits.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import ssl
import time
import urllib.error
import urllib.request
from typing import Any

import orjson

from appliance.config.model_source import HTTPModelSourceConfig
from appliance.model_sources.base import ModelSourceError, ModelUpdate

MAX_BYTES = 64 * 1024 * 1024
log = logging.getLogger(__name__)


class HTTPModelSource:
    def __init__(self, config: HTTPModelSourceConfig, name: str = "http") -> None:
        self.name, self.config = name, config
        self.etag: str | None = None
        self.last_modified: str | None = None
        self._sha256: str | None = None
        """The last model's, from a server that says neither ETag nor Last-Modified: its bytes are all that tells."""
        self.not_modified = 0
        self.last_status: int | None = None
        self.waiting = False
        """The server answered that it has no model published yet (logged once, until a model comes)."""
        ca_file = str(config.ca_file) if config.ca_file is not None else None
        self._tls = ssl.create_default_context(cafile=ca_file) if config.url.startswith("https://") else None

    def fetch(self) -> ModelUpdate | None:
        headers = {**self.config.headers, **({"If-None-Match": self.etag} if self.etag else {}),
                   **({"If-Modified-Since": self.last_modified} if self.last_modified else {})}  # a plain file server
        request = urllib.request.Request(self.config.url, headers=headers)
        deadline = time.monotonic() + self.config.timeout_s  # urlopen's timeout bounds each read, not the download
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_s, context=self._tls) as response:
                self.last_status = response.status
                data, missing = self._read(response, deadline), response.length  # what its Content-Length says is still to come
                etag, digest = response.headers.get("ETag"), response.headers.get("X-Model-SHA256")
                last_modified = response.headers.get("Last-Modified")
                published = _published(response.headers.get("X-Model-Version"))
        except urllib.error.HTTPError as err:
            self.last_status = err.code
            if err.code == 304:
                self.not_modified += 1
                return None
            if err.code == 404 and _none_published(err):
                if not self.waiting:
                    log.info("model source %s: no model published yet at %s; waiting", self.name, self.config.url)
                self.waiting = True
                return None
            raise ModelSourceError(f"{self.config.url}: HTTP {err.code} {err.reason}; check the URL and its headers (a token?)") from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise ModelSourceError(self._untrusted(reason)) from None
            raise ModelSourceError(f"{self.config.url}: cannot fetch the model ({reason}); is the server up?") from None
        except http.client.HTTPException as err:  # not HTTP (another service on that port), or a chunked answer cut short
            raise ModelSourceError(f"{self.config.url}: not an HTTP answer, or one cut short ({err!r}); check that the URL's port "
                                   "serves HTTP (http:// or https://); will retry") from None
        if len(data) > MAX_BYTES:
            raise ModelSourceError(f"{self.config.url}: the model is larger than {MAX_BYTES} bytes; this appliance takes smaller ones")
        if missing:  # the connection closed before the whole body: its ETag or date, sent back, would get a 304 for good
            raise ModelSourceError(f"{self.config.url}: the model was cut short: {len(data)} of {len(data) + missing} bytes "
                                   "arrived; will retry")
        sha256 = hashlib.sha256(data).hexdigest()
        if digest is not None and sha256 != digest.strip().lower():
            raise ModelSourceError(f"{self.config.url}: the model's SHA-256 is not the X-Model-SHA256 it came with (cut short?); will retry")
        if etag is None and last_modified is None and sha256 == self._sha256:
            self.not_modified += 1  # the same bytes again: installed again, they would undo what the loop learned since
            return None
        self.etag, self.last_modified, self._sha256, self.waiting = etag, last_modified, sha256, False
        return ModelUpdate(data, f"{self.config.url} (ETag {etag})" if etag else self.config.url, published)

    def _read(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        """The body, up to ``MAX_BYTES + 1`` bytes, read by ``deadline`` (a server that sends a little at a time would
        otherwise hold the worker as long as it likes)."""
        blocks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES and (block := response.read1(min(1 << 16, MAX_BYTES + 1 - size))):  # what has come
            blocks.append(block)
            size += len(block)
            if time.monotonic() > deadline and response.length != 0:
                raise ModelSourceError(f"{self.config.url}: the model did not arrive within timeout_s ({self.config.timeout_s:g} s): "
                                       f"{size} bytes in; will retry (a slow link needs a larger model_source.timeout_s)")
        return b"".join(blocks)

    def _untrusted(self, err: ssl.SSLCertVerificationError) -> str:
        """What was wrong with the server's certificate, and what to do about it."""
        problem = f"{self.config.url}: the server's TLS certificate failed verification ({err.verify_message or err})"
        if self.config.ca_file is None:
            return (f"{problem} against the system's CAs; if a private CA signed it (or it is self-signed), set "
                    "model_source.ca_file to that CA's PEM certificate")
        return (f"{problem} against ca_file {self.config.ca_file}; set ca_file to the PEM certificate of the CA that "
                "signed it, and check that the certificate names the URL's host")

    def close(self) -> None:
        """Nothing held between looks."""

    def stats(self) -> dict[str, Any]:
        return {"type": "http", "url": self.config.url, "etag": self.etag, "last_status": self.last_status,
                "not_modified": self.not_modified, "waiting": self.waiting}


def _published(header: str | None) -> int | None:
    """The version an ``X-Model-Version`` header says, when it is a whole number from 0 to 2**62 (what an upload may ask
    for); else ``None``, and the model runs as the next version.

    >>> _published(" 42 "), _published(None), _published("-1"), _published("4e2"), _published(str(2**63)), _published("9" * 5000)
    (42, None, None, None, None, None)
    """
    text = (header or "").strip()
    return int(text) if len(text) <= 19 and text.isascii() and text.isdigit() and int(text) <= 2**62 else None


def _none_published(err: urllib.error.HTTPError) -> bool:
    """Whether a 404 says the server has no model published yet (its JSON body's ``published`` is false), rather
    than that the URL is wrong."""
    try:
        body = orjson.loads(err.read(64 * 1024))
    except (OSError, orjson.JSONDecodeError):
        return False
    return isinstance(body, dict) and body.get("published") is False
