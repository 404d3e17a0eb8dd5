"""One Python client for the appliance, over HTTP or gRPC, synchronous or asyncio.

>>> client = connect("grpc://127.0.0.1:50051", token="...")           # doctest: +SKIP
>>> decision = client.decide({"user": {"young": 1.0}})                 # doctest: +SKIP
>>> client.reward(decision.event_id, 1.0).status                       # doctest: +SKIP
'joined'

``connect_async`` gives the same calls as coroutines. URLs: ``grpc://`` (plain text), ``grpcs://`` (TLS),
``http://``, ``https://``. The gRPC transport needs the ``client`` extra (``pip install 'raspberry-wabbit[client]'``);
the HTTP one, nothing more than the appliance's own dependencies.
"""

from __future__ import annotations

import math
import ssl
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from appliance.client.base import AsyncClient, ClientError, Decide, Decided, ModelInfo, Rewarded, Statistics
from appliance.client.sync import Client
from appliance.errors import UsageError

__all__ = ["AsyncClient", "Client", "ClientError", "Decide", "Decided", "ModelInfo", "Rewarded", "Statistics", "connect", "connect_async"]


def connect_async(url: str, token: str | None = None, *, tls_ca: Path | None = None, timeout_s: float = 30.0) -> AsyncClient:
    """An asyncio client for ``url``; ``tls_ca``: a PEM file to verify the server's certificate (``None``: system roots);
    ``timeout_s``: the longest a call may take, connecting, sending and the answer (then ``DEADLINE_EXCEEDED``). Which
    calls are safe to repeat after a failure: docs/grpc.md, "When calls fail".

    >>> connect_async("ftp://127.0.0.1:21")
    Traceback (most recent call last):
    ...
    appliance.errors.UsageError: cannot connect to 'ftp://127.0.0.1:21': use grpc://HOST:PORT, grpcs://HOST:PORT, http://HOST:PORT or https://HOST:PORT
    """
    if not (math.isfinite(timeout_s) and timeout_s > 0):  # grpc times out at once for each; asyncio for all but inf
        raise UsageError(f"timeout_s {timeout_s}: give the longest a call may take, a number of seconds above 0 (the default "
                         "is 30)")
    parts = _address(url)
    ca = _certificates(tls_ca) if tls_ca is not None else None
    if parts.scheme in ("grpc", "grpcs"):
        from appliance.client.grpc_client import AsyncGrpcClient

        return AsyncGrpcClient(parts.netloc, token, tls=parts.scheme == "grpcs", tls_ca=ca, timeout_s=timeout_s)
    from appliance.client.http_client import AsyncHttpClient

    return AsyncHttpClient(url, token, tls_ca=str(tls_ca) if tls_ca else None, timeout_s=timeout_s)


def _address(url: str) -> SplitResult:
    """``url`` split, once it names a scheme the client speaks, a host and a port (one it may leave out over HTTP)."""
    usage = "use grpc://HOST:PORT, grpcs://HOST:PORT, http://HOST:PORT or https://HOST:PORT"
    try:
        parts = urlsplit(url)
        port, host = parts.port, parts.hostname
    except ValueError as err:  # a port that is no number or out of range, a bracket left open
        raise UsageError(f"cannot connect to {url!r} ({err}): {usage}") from None
    if parts.scheme not in ("grpc", "grpcs", "http", "https") or not parts.netloc:
        raise UsageError(f"cannot connect to {url!r}: {usage}")
    if not host:
        raise UsageError(f"cannot connect to {url!r} (no host): {usage}")
    if port is None and parts.scheme.startswith("grpc"):  # grpc would take 443
        raise UsageError(f"cannot connect to {url!r} (no port): {usage}")
    return parts


def _certificates(tls_ca: Path) -> bytes:
    """The PEM certificates in ``tls_ca``, checked here: grpc would fail each call as if the server were down, and the
    HTTP transport with ssl's words, which do not name the file."""
    try:
        pem = tls_ca.read_bytes()
        ssl.create_default_context(cadata=pem.decode("ascii"))
    except (ssl.SSLError, UnicodeDecodeError) as err:  # an SSLError is an OSError too
        raise UsageError(f"tls_ca {tls_ca}: holds no PEM certificate ({err}); give the server's certificate (PEM), or that of "
                         "the CA that signed it") from None
    except OSError as err:
        raise UsageError(f"tls_ca {tls_ca}: cannot read it ({err.strerror or err})") from None
    return pem


def connect(url: str, token: str | None = None, *, tls_ca: Path | None = None, timeout_s: float = 30.0) -> Client:
    """A synchronous client for ``url`` (see :func:`connect_async`); use it in a ``with`` block, or close it."""
    return Client(lambda: connect_async(url, token, tls_ca=tls_ca, timeout_s=timeout_s))
