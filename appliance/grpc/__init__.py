"""The gRPC API of ``wabbit run`` (``server.grpc``): ``wabbit.v1`` Serving and Management, the Open Inference Protocol
v2, health and reflection, over the daemon's ModelHost. Needs the ``grpc`` extra; nothing here is imported while
``server.grpc.enabled`` is false. See docs/grpc.md."""
