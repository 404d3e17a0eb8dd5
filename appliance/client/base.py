"""What a client returns, whichever transport carries the calls, and the one error it raises.

Predictions, statistics and model versions are the server's own types (:mod:`appliance.models.base`); a
failed call raises :class:`ClientError` whose ``code`` is the gRPC status name (over HTTP too: 404 is
``NOT_FOUND``, 422 ``INVALID_ARGUMENT``...), so code written against one transport handles the other's errors.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self, Sequence

from appliance.errors import UsageError, WabbitError
from appliance.features import Features
from appliance.models.base import ModelStatistics, ModelVersion, Prediction

Format = Literal["text", "dsjson"]
HTTP_CODES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "FAILED_PRECONDITION",
              413: "RESOURCE_EXHAUSTED", 422: "INVALID_ARGUMENT", 503: "UNAVAILABLE"}


class ClientError(WabbitError):
    """A call the server refused or could not answer; ``code``: the gRPC status name (``NOT_FOUND``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class Decide:
    """One decision to ask for (the arguments of :meth:`AsyncClient.decide`)."""

    context: Features | None = None
    actions: Sequence[str] | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class Decided:
    """A durable decision: reward it with its ``event_id``."""

    event_id: str
    action: str
    probability: float
    pmf: dict[str, float]
    model_version: int
    timestamp: float


@dataclass(frozen=True)
class Rewarded:
    event_id: str
    status: str


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str
    ready: bool
    status: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Statistics:
    """VW's counters (``model``) and, over gRPC, the serving statistics per RPC (Triton's fields, nanoseconds)."""

    model: ModelStatistics
    rpcs: dict[str, dict[str, Any]] = field(default_factory=dict)


class AsyncClient(Protocol):
    """The calls every transport answers. ``model=""`` is the default model."""

    async def decide(self, context: Features | None = None, actions: Sequence[str] | None = None, event_id: str | None = None,
                     model: str = "") -> Decided: ...

    async def decide_many(self, requests: Sequence[Decide], model: str = "") -> list[Decided]:
        """Several decisions (over gRPC: one DecideStream), answered in order."""
        ...

    async def reward(self, event_id: str, value: float, reward_id: str | None = None, model: str = "") -> Rewarded: ...

    async def predict(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> list[Prediction]: ...

    async def learn(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> int:
        """Learn labelled examples (over gRPC: streamed in batches); returns how many, all durable."""
        ...

    async def statistics(self, model: str = "") -> Statistics: ...

    async def models(self) -> list[ModelInfo]: ...

    async def get_model(self, model: str = "") -> ModelInfo:
        """One model's kind, readiness and status (``NOT_FOUND`` if none has that name)."""
        ...

    async def create_model(self, name: str, vw_arguments: str | None = None, config_yaml: str | None = None) -> ModelInfo: ...

    async def delete_model(self, name: str) -> None: ...

    async def download(self, model: str = "") -> tuple[bytes, ModelVersion]:
        """The model saved now, and its version."""
        ...

    async def upload(self, data: bytes, model: str = "", model_version: int | None = None, bundle: bool = False) -> ModelVersion:
        """Load a model file (checked by the server; a bad one changes nothing). ``bundle``: ``data`` is a bundle
        (``wabbit model pack``), served as ``model`` (``""``: the bundle's own name): a new model, or a new
        version of the model of that name if it runs the bundle's VW arguments or config."""
        ...

    async def save(self, model: str = "") -> ModelVersion:
        """Save a version now (a checkpoint); with nothing learned since the newest and the same model, that one again."""
        ...

    async def versions(self, model: str = "") -> list[ModelVersion]: ...

    async def rollback(self, version: int, model: str = "") -> ModelVersion: ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> AsyncClient: ...

    async def __aexit__(self, *exc: object) -> None: ...


class AsyncClosing(ABC):
    """``async with connect_async(...) as c:`` closes the client at the block's end, as ``with connect(...)`` does.

    A client serves the event loop it is made in (its channel or connections live there): :meth:`_in_its_loop` says so
    to a call from another, rather than asyncio's words or a call that hangs."""

    def __init__(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise UsageError("connect_async() makes a client for the event loop it is called in: call it inside an async "
                             "function, or use connect() from plain code") from None

    def _in_its_loop(self) -> None:
        if asyncio.get_running_loop() is not self._loop:
            raise UsageError("this asyncio client was made in another event loop (an earlier asyncio.run()?) and serves only "
                             "that one: make a client in each loop, with connect_async() inside it")

    @abstractmethod
    async def close(self) -> None:
        """Close the client's connections (each transport's own)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
