"""What a failed call says, in the same words over both transports: what happened, whether the call may have taken
effect, and what to do (docs/grpc.md, "When calls fail")."""

from __future__ import annotations

from appliance.client.base import ClientError

RETRY = ("repeating it is safe for reads, for a reward with a reward_id (a repeat answers 'duplicate') and for a decide with an "
         "event_id of your own (a repeat of one that was made is refused as already used); docs/grpc.md, 'When calls fail'")
TLS_HINT = ("does the server speak TLS (https://, grpcs://) or plain text (http://, grpc://), and does tls_ca hold the "
            "certificate it presents?")


def timed_out(target: str, timeout_s: float) -> ClientError:
    """The error of a call that got no answer within the client's timeout."""
    return ClientError("DEADLINE_EXCEEDED", f"no answer from {target} within {timeout_s:g} s (the client's timeout_s: connect(..., "
                       f"timeout_s=...)): the server is hung or busy, and the call may or may not have taken effect; {RETRY}")


def connection_lost(target: str, detail: str) -> ClientError:
    """The error of a call sent to the server whose connection broke before the answer."""
    return ClientError("UNAVAILABLE", f"the connection to {target} broke before the answer ({detail}): the daemon stopped or "
                       f"restarted, and the call may or may not have taken effect; {RETRY}")


def unreachable(target: str, detail: str, tls: bool) -> ClientError:
    """The error of a call that could not connect (``tls``: the TLS handshake failed), so nothing was sent."""
    hint = TLS_HINT if tls else ("is the daemon running, is this its port, and does it speak what the URL says (TLS: https://, "
                                 "grpcs://; plain text: http://, grpc://)?")
    return ClientError("UNAVAILABLE", f"cannot reach {target} ({detail}): {hint} Nothing was sent: the call is safe to repeat")


def closed_client() -> ClientError:
    """The error of a call to a client closed before it."""
    return ClientError("CANCELLED", "this client is closed: make a new one (connect() or connect_async())")


def closed_during_call() -> ClientError:
    """The error of a call ended by closing its client."""
    return ClientError("CANCELLED", f"the client was closed during the call: it may or may not have taken effect; {RETRY}")
