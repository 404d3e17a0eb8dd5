"""What a failed call answers: each appliance error as a gRPC status whose message says what was wrong.

>>> status_of(UnknownModelError("no model 'x'; models: default"))
('NOT_FOUND', "no model 'x'; models: default")
>>> status_of(Oversized("12000 examples in one message; send at most 10000"))[0]
'RESOURCE_EXHAUSTED'
>>> status_of(KeyError("bug"))[0]
'INTERNAL'
"""

from __future__ import annotations

import functools
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from pydantic import ValidationError

from appliance.errors import ConfigError, StorageError, UsageError, WabbitError
from appliance.models.base import ModelExistsError, ModelKindError, UnknownModelError

log = logging.getLogger("wabbit")
T = TypeVar("T")


class Oversized(WabbitError):
    """A request larger than the server takes (too many examples, too large a file)."""


class UnknownEvent(WabbitError, LookupError):
    """A reward for a decision the model does not know (or no longer waits for)."""


class Unauthenticated(WabbitError):
    """No token, or a wrong one."""


CODES: tuple[tuple[type[BaseException], str], ...] = (
    (UnknownModelError, "NOT_FOUND"), (UnknownEvent, "NOT_FOUND"), (ModelExistsError, "ALREADY_EXISTS"), (ModelKindError, "FAILED_PRECONDITION"),
    (Oversized, "RESOURCE_EXHAUSTED"), (Unauthenticated, "UNAUTHENTICATED"), (UsageError, "INVALID_ARGUMENT"),
    (ConfigError, "INVALID_ARGUMENT"), (ValidationError, "INVALID_ARGUMENT"), (StorageError, "UNAVAILABLE"),
)
"""Checked in order: the first class an error is an instance of gives its code; anything else is INTERNAL (a bug)."""


def invalid_input(err: ValidationError) -> str:
    """A pydantic error as one line: each field and what is wrong with it."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in err.errors(include_url=False))


def status_of(err: BaseException) -> tuple[str, str]:
    """The gRPC status code name and message for ``err``."""
    for kind, code in CODES:
        if isinstance(err, kind):
            return code, invalid_input(err) if isinstance(err, ValidationError) else str(err)
    return "INTERNAL", f"internal error ({type(err).__name__}); the daemon's log has the details"


async def abort(context: Any, err: BaseException) -> None:
    """End the call with ``err``'s status (logged with its traceback when it is a bug)."""
    import grpc

    code, message = status_of(err)
    if code == "INTERNAL":
        log.error("gRPC call failed", exc_info=err)
    await context.abort(getattr(grpc.StatusCode, code), message[:4000])


class Malformed:
    """A request that is not a valid protobuf message of its RPC's type (what :func:`tolerant` parses it to), so the
    servicer answers INVALID_ARGUMENT instead of grpc's INTERNAL for a failed deserialization."""

    __slots__ = ("error",)

    def __init__(self, error: str) -> None:
        self.error = error


def tolerant(parse: Callable[[bytes], Any]) -> Callable[[bytes], Any]:
    """A request deserializer that gives :class:`Malformed` instead of raising.

    >>> tolerant(int)(b"x").error
    "invalid literal for int() with base 10: b'x'"
    """

    def parsed(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as err:
            return Malformed(str(err))

    return parsed


def well_formed(request: Any) -> Any:
    """``request``, unless it is :class:`Malformed` (then UsageError)."""
    if isinstance(request, Malformed):
        raise UsageError(f"the request is not a valid protobuf message of this RPC's request type ({request.error or 'cannot parse'}); "
                         "check the method name and the message you send")
    return request


async def _well_formed_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        yield well_formed(request)


def _checked(request: Any) -> Any:
    return _well_formed_stream(request) if hasattr(request, "__aiter__") else well_formed(request)


def unary(method: Callable[[Any, Any, Any], Awaitable[T]]) -> Callable[[Any, Any, Any], Awaitable[T]]:
    """A servicer method whose errors end the call with their status (never UNKNOWN)."""

    @functools.wraps(method)
    async def call(self: Any, request: Any, context: Any) -> T:
        try:
            return await method(self, _checked(request), context)
        except Exception as err:
            if _aborted(err):
                raise
            await abort(context, err)
            raise AssertionError("unreachable: abort raises") from err

    return call


def streaming(method: Callable[[Any, Any, Any], AsyncIterator[T]]) -> Callable[[Any, Any, Any], AsyncIterator[T]]:
    """:func:`unary` for a method that answers with a stream."""

    @functools.wraps(method)
    async def call(self: Any, request: Any, context: Any) -> AsyncIterator[T]:
        try:
            async for item in method(self, _checked(request), context):
                yield item
        except Exception as err:
            if _aborted(err):
                raise
            await abort(context, err)

    return call


def _aborted(err: BaseException) -> bool:
    """Whether ``err`` is grpc's own signal that the call was already ended."""
    import grpc.aio

    return isinstance(err, grpc.aio.AbortError)
