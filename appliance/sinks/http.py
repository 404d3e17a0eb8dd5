"""Each batch POSTed as JSON lines (``application/x-ndjson``) with an ``X-Wabbit-Batch`` header (its id, so the
receiver can drop a batch it already has), ``X-Wabbit-Source`` (the host name, unless ``headers`` set it: a fleet's
collector keeps each appliance's log apart by it) and, with ``token_file``, ``Authorization: Bearer``; a 2xx answer
acknowledges it. A refusal's message (a 401's: where the token is) is part of the error the shipper reports.

One connection is kept open from batch to batch (HTTP/1.1 keep-alive), through the proxy that ``http_proxy`` /
``https_proxy`` name unless ``no_proxy`` exempts the host: a new connection per batch costs the loop's process a
handshake, and each of its system calls hands the interpreter's lock to the loop's thread and waits to get it
back. A batch whose kept connection turns out closed (the receiver let an idle one go) goes once more on a new
one at once; any other failure closes the connection, and the shipper sends the batch again later, whole."""

from __future__ import annotations

import http.client
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from appliance.config.log_sinks import HTTPSinkConfig
from appliance.sinks.base import SinkError, appliance_name

RETRIED_ON_A_NEW_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""A kept connection the receiver closed while it idled: nothing of the batch was answered yet."""


class HTTPSink:
    def __init__(self, config: HTTPSinkConfig, name: str = "http") -> None:
        self.name, self.config = name, config
        self.last_status: int | None = None
        self.connections = 0
        self._connection: http.client.HTTPConnection | None = None
        target = urlsplit(config.url)
        self._target = target
        self._proxy = None if urllib.request.proxy_bypass(target.hostname or "") else urllib.request.getproxies().get(target.scheme)
        # the appliance's name for a fleet's collector, which keeps each appliance's log apart by it (not by the address
        # a batch comes from: one for every appliance behind a proxy or NAT); the host name, as a directory sink's prefix
        named = any(k.lower() == "x-wabbit-source" for k in config.headers)
        self._source = {} if named else {"X-Wabbit-Source": appliance_name()}
        self._path = config.url if self._proxy and target.scheme == "http" else (target.path or "/") + (f"?{target.query}" if target.query else "")

    def send(self, data: bytes, batch_id: str) -> None:
        headers = {**self._source, **self.config.headers, "Content-Type": "application/x-ndjson", "X-Wabbit-Batch": batch_id}
        if self.config.token_file is not None:
            headers["Authorization"] = f"Bearer {self._token(self.config.token_file)}"
        kept = self._connection is not None
        try:
            try:
                response = self._post(data, headers)
            except RETRIED_ON_A_NEW_CONNECTION:
                if not kept:
                    raise
                self.close()
                response = self._post(data, headers)
            self.last_status = response.status
            if 200 <= response.status < 300:
                response.read()  # the connection is reused: the answer is read to its end
                if response.will_close:
                    self.close()
                return
            said = response.read(300).decode("utf-8", "replace").strip()
        except (http.client.HTTPException, OSError) as err:
            self.close()
            raise SinkError(f"{self.name}: cannot reach {self.config.url} ({str(err) or type(err).__name__})") from None
        self.close()
        raise SinkError(f"{self.name}: {self.config.url} answered HTTP {response.status} {response.reason}"
                        + (f": {said}" if said else ""))

    def _post(self, data: bytes, headers: dict[str, str]) -> http.client.HTTPResponse:
        if self._connection is None:
            self._connection = self._connect(self._target)
        self._connection.request("POST", self._path, body=data, headers=headers)
        return self._connection.getresponse()

    def _connect(self, target: SplitResult) -> http.client.HTTPConnection:
        """A connection to the receiver, or to the proxy (tunnelled with CONNECT to an https receiver)."""
        self.connections += 1
        timeout = self.config.timeout_s
        if self._proxy is None:
            kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
            return kind(target.hostname or "", target.port, timeout=timeout)
        proxy = urlsplit(self._proxy if "://" in self._proxy else f"http://{self._proxy}")
        if target.scheme == "http":
            return http.client.HTTPConnection(proxy.hostname or "", proxy.port, timeout=timeout)
        tunnel = http.client.HTTPSConnection(proxy.hostname or "", proxy.port, timeout=timeout)
        tunnel.set_tunnel(target.hostname or "", target.port)
        return tunnel

    def _token(self, path: Path) -> str:
        try:
            token = path.read_text().strip()
        except OSError as err:
            raise SinkError(f"{self.name}: cannot read its token_file {path} ({err.strerror})") from None
        if not token:
            raise SinkError(f"{self.name}: its token_file {path} is empty")
        return token

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stats(self) -> dict[str, Any]:
        return {"type": "http", "url": self.config.url, "last_status": self.last_status, "connections": self.connections}
