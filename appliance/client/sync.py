"""The synchronous client: any :class:`~appliance.client.base.AsyncClient` driven from plain code.

Its event loop runs on a thread of its own, so the client may be used from any thread (and from several at
once: their calls run concurrently on that loop), including inside a program that runs its own event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Callable, Coroutine, Sequence, TypeVar

from appliance.client.base import AsyncClient, Decide, Decided, Format, ModelInfo, Rewarded, Statistics
from appliance.client.failures import closed_client, closed_during_call
from appliance.features import Features
from appliance.models.base import ModelVersion, Prediction

T = TypeVar("T")


class Client:
    """Made by :func:`appliance.client.connect`; close it (or use ``with``) when done."""

    def __init__(self, make: Callable[[], AsyncClient]) -> None:
        """``make``: builds the async client (on the client's loop, where its channel or connection pool lives)."""
        self._loop = asyncio.new_event_loop()
        self._closed = False
        self._calls: set[concurrent.futures.Future[Any]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wabbit-client", daemon=True)
        self._thread.start()

        async def build() -> AsyncClient:
            return make()

        try:
            self.transport: AsyncClient = self._run(build())
        except BaseException:
            self._stop()
            raise

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        """``call`` run on the client's loop; a call made after :meth:`close`, or still running when it closes, raises
        ``CANCELLED``."""
        if self._closed:
            call.close()
            raise closed_client()
        try:
            future = asyncio.run_coroutine_threadsafe(call, self._loop)
        except RuntimeError:  # its loop closed meanwhile
            call.close()
            raise closed_client() from None
        self._calls.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise closed_during_call() from None
        finally:
            self._calls.discard(future)

    def decide(self, context: Features | None = None, actions: Sequence[str] | None = None, event_id: str | None = None,
               model: str = "") -> Decided:
        return self._run(self.transport.decide(context, actions, event_id, model))

    def decide_many(self, requests: Sequence[Decide], model: str = "") -> list[Decided]:
        return self._run(self.transport.decide_many(requests, model))

    def reward(self, event_id: str, value: float, reward_id: str | None = None, model: str = "") -> Rewarded:
        return self._run(self.transport.reward(event_id, value, reward_id, model))

    def predict(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> list[Prediction]:
        return self._run(self.transport.predict(examples, fmt, model))

    def learn(self, examples: Sequence[str], fmt: Format = "text", model: str = "") -> int:
        return self._run(self.transport.learn(examples, fmt, model))

    def statistics(self, model: str = "") -> Statistics:
        return self._run(self.transport.statistics(model))

    def models(self) -> list[ModelInfo]:
        return self._run(self.transport.models())

    def get_model(self, model: str = "") -> ModelInfo:
        return self._run(self.transport.get_model(model))

    def create_model(self, name: str, vw_arguments: str | None = None, config_yaml: str | None = None) -> ModelInfo:
        return self._run(self.transport.create_model(name, vw_arguments, config_yaml))

    def delete_model(self, name: str) -> None:
        self._run(self.transport.delete_model(name))

    def download(self, model: str = "") -> tuple[bytes, ModelVersion]:
        return self._run(self.transport.download(model))

    def upload(self, data: bytes, model: str = "", model_version: int | None = None, bundle: bool = False) -> ModelVersion:
        return self._run(self.transport.upload(data, model, model_version, bundle))

    def save(self, model: str = "") -> ModelVersion:
        return self._run(self.transport.save(model))

    def versions(self, model: str = "") -> list[ModelVersion]:
        return self._run(self.transport.versions(model))

    def rollback(self, version: int, model: str = "") -> ModelVersion:
        return self._run(self.transport.rollback(version, model))

    def close(self) -> None:
        """End the calls still running (they raise ``CANCELLED``), close the connections and stop the client's thread."""
        if not self._closed:
            self._closed = True
            try:
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
            finally:
                self._stop()

    async def _shutdown(self) -> None:
        calls = asyncio.all_tasks() - {asyncio.current_task()}
        for task in calls:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        await self.transport.close()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        for future in list(self._calls):  # a call that came in as the client closed
            future.cancel()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
