"""gRPC transports for the client benchmarks: ``wabbit.v1.Serving/Decide`` (unary) and ``DecideStream``.

Each client has a channel of its own (its own HTTP/2 connection: no shared subchannel) and the messages of
the generated stubs (:mod:`appliance.grpc.stubs`), built once per payload. The streamed transport keeps one
``DecideStream`` per client open and sends a *window* of requests before it reads their answers (the server
handles up to 64 at once, in order): a call is one window, and the latency reported for it is the window's
round trip, the longest any of its decisions waited. Once a run lets go of its callers, their streams end.
"""

from __future__ import annotations

import queue
import weakref
from typing import Any

from appliance.bench.client_load import Caller
from appliance.bench.client_transports import Payload

WINDOW = 16


class GrpcDecide:
    """Unary ``Decide`` to ``127.0.0.1:port`` with the daemon's token, one channel per client."""

    items_per_call = 1

    def __init__(self, port: int, token: str) -> None:
        from appliance.grpc import stubs

        serving = stubs.serving()
        self._pb, self._rpc = serving.pb, serving.rpc
        self.target = f"127.0.0.1:{port}"
        self.metadata = (("authorization", f"Bearer {token}"),)
        self._requests: dict[str, Any] = {}

    def request(self, payload: Payload) -> Any:
        """The ``DecideRequest`` for ``payload`` (built once per payload)."""
        if payload.name not in self._requests:
            pb = self._pb
            self._requests[payload.name] = pb.DecideRequest(
                context={ns: pb.Namespace(features=f) for ns, f in payload.context.items()}, actions=payload.actions)
        return self._requests[payload.name]

    def stub(self) -> Any:
        import grpc

        channel = grpc.insecure_channel(self.target, options=[("grpc.use_local_subchannel_pool", 1)])
        return self._rpc.ServingStub(channel)

    def open(self) -> Caller:
        stub = self.stub()

        def call(payload: Payload) -> None:
            stub.Decide(self.request(payload), metadata=self.metadata, timeout=30)
        return call


class GrpcDecideStream(GrpcDecide):
    """``DecideStream``: per client one open stream; each call sends ``WINDOW`` requests, then reads their answers."""

    items_per_call = WINDOW

    def open(self) -> Caller:
        outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        answers = self.stub().DecideStream(iter(outbox.get, None), metadata=self.metadata, timeout=3600)

        def call(payload: Payload) -> None:
            request = self.request(payload)
            for _ in range(WINDOW):
                outbox.put(request)
            for _ in range(WINDOW):
                next(answers)
        weakref.finalize(call, outbox.put, None)  # a caller let go ends its stream (and gRPC's thread reading the outbox)
        return call
