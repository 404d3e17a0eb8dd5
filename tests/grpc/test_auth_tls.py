"""Who may call: the token as ``authorization: Bearer`` metadata on every service but health and reflection, TLS
with a configured certificate and key (a self-signed one made here), and loopback by default."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from appliance.client import ClientError, Decide, connect
from appliance.config.grpc import GrpcConfig
from appliance.grpc import stubs
from tests.certificates import self_signed
from tests.grpc.conftest import GrpcDaemon, start_grpc_daemon


@pytest.fixture(scope="module")
def tls_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GrpcDaemon, Path]]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(directory)
    daemon = start_grpc_daemon(directory, f"    tls_cert: {cert}\n    tls_key: {key}\n")
    try:
        yield daemon, cert
    finally:
        out = daemon.running.stop()
        assert daemon.running.proc.returncode == 0, out


def test_tls_with_the_token_and_nothing_without_them(tls_daemon: tuple[GrpcDaemon, Path]) -> None:
    daemon, cert = tls_daemon
    url = f"grpcs://{daemon.target}"
    with connect(url, daemon.running.token, tls_ca=cert) as c:
        assert [m.name for m in c.models()] == ["default"]
        assert c.decide({"user": {"young": 1.0}}).action
    for token, wanted in ((None, "UNAUTHENTICATED"), ("wrong-token-xxxxxxxx", "UNAUTHENTICATED")):
        with connect(url, token, tls_ca=cert) as c:
            for call in (c.models, lambda: c.decide({}), lambda: c.learn(["1 | a"]), lambda: c.decide_many([Decide({})]), lambda: c.download()):
                with pytest.raises(ClientError) as err:
                    call()
                assert err.value.code == wanted and "authorization: Bearer <token>" in err.value.message
    with connect(f"grpc://{daemon.target}", daemon.running.token) as plain:  # plain text to a TLS port: no answer
        with pytest.raises(ClientError) as err:
            plain.models()
        assert err.value.code == "UNAVAILABLE" and "TLS: https://, grpcs://" in err.value.message, err.value
    with connect(url, daemon.running.token) as untrusted:  # the system's roots do not know this certificate
        with pytest.raises(ClientError) as err:
            untrusted.models()
        assert err.value.code == "UNAVAILABLE" and "does tls_ca hold the certificate" in err.value.message, err.value


def test_health_and_reflection_are_open_inference_is_not(tls_daemon: tuple[GrpcDaemon, Path]) -> None:
    daemon, cert = tls_daemon
    channel = grpc.secure_channel(daemon.target, grpc.ssl_channel_credentials(cert.read_bytes()))
    check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="default"), timeout=10)
    assert check.status == health_pb2.HealthCheckResponse.SERVING
    inference = stubs.inference()
    with pytest.raises(grpc.RpcError) as err:
        inference.rpc.GRPCInferenceServiceStub(channel).ServerLive(inference.pb.ServerLiveRequest(), timeout=10)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    live = inference.rpc.GRPCInferenceServiceStub(channel).ServerLive(
        inference.pb.ServerLiveRequest(), metadata=daemon.metadata, timeout=10)
    assert live.live


def listening(port: int) -> set[str]:
    """The local addresses listening on TCP ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = b"".join(bytes.fromhex(address[i:i + 8])[::-1] for i in range(0, len(address), 8))  # little-endian words
                ip = ipaddress.ip_address(raw)
                mapped = getattr(ip, "ipv4_mapped", None)
                found.add(str(mapped or ip))
    return found


def test_loopback_unless_configured(tls_daemon: tuple[GrpcDaemon, Path]) -> None:
    assert GrpcConfig().host == "127.0.0.1" and not GrpcConfig().enabled
    assert listening(tls_daemon[0].port) == {"127.0.0.1"}
