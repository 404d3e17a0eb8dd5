"""Who may call: the appliance's token as ``authorization: Bearer <token>`` metadata, on every service but health
and reflection (which say only what is served, and generic tools and load balancers call them without one).

>>> from types import SimpleNamespace
>>> check = TokenCheck("s3cret-token-1234")
>>> check.allowed("/wabbit.v1.Serving/Decide", (("authorization", "Bearer s3cret-token-1234"),))
True
>>> check.allowed("/wabbit.v1.Serving/Decide", (("authorization", "Bearer wrong"),))
False
>>> check.allowed("/grpc.health.v1.Health/Check", ())
True
"""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable, Sequence

OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.ServerReflection/")
MESSAGE = ("missing or wrong access token: send the metadata 'authorization: Bearer <token>' (the token is in the file "
           "`token` in the daemon's data directory)")


class TokenCheck:
    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def allowed(self, method: str, metadata: Sequence[tuple[str, Any]] | None) -> bool:
        if method.startswith(OPEN_PREFIXES):
            return True
        for key, value in metadata or ():
            if key == "authorization" and isinstance(value, str) and value[:7].lower() == "bearer ":
                return hmac.compare_digest(value[7:].strip().encode(), self._token)
        return False


def interceptor(token: str) -> Any:
    """A ``grpc.aio.ServerInterceptor`` that ends calls without the token with UNAUTHENTICATED, and gives this
    project's servicers a request that cannot be parsed as :class:`~appliance.grpc.status.Malformed` (they answer
    INVALID_ARGUMENT)."""
    import grpc

    from appliance.grpc.status import tolerant

    check = TokenCheck(token)
    tolerant_handlers: dict[str, Any] = {}

    async def deny(request: Any, context: Any) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, MESSAGE)

    async def deny_stream(request: Any, context: Any) -> Any:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, MESSAGE)
        yield None  # pragma: no cover (abort raises)

    class TokenInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
        async def intercept_service(self, continuation: Callable[[Any], Awaitable[Any]], details: Any) -> Any:
            handler = await continuation(details)
            if handler is None or details.method.startswith(OPEN_PREFIXES):
                return handler
            if check.allowed(details.method, details.invocation_metadata):
                tolerating = tolerant_handlers.get(details.method)
                if tolerating is None:
                    tolerating = tolerant_handlers[details.method] = handler._replace(
                        request_deserializer=tolerant(handler.request_deserializer))
                return tolerating
            make = {(False, False): grpc.unary_unary_rpc_method_handler, (False, True): grpc.unary_stream_rpc_method_handler,
                    (True, False): grpc.stream_unary_rpc_method_handler, (True, True): grpc.stream_stream_rpc_method_handler}
            streams = handler.response_streaming
            return make[(handler.request_streaming, streams)](deny_stream if streams else deny,
                                                              request_deserializer=handler.request_deserializer,
                                                              response_serializer=handler.response_serializer)

    return TokenInterceptor()
