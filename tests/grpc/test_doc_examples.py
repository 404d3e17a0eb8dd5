"""docs/grpc.md's examples, run as written against a real daemon: its Python blocks, and its grpcurl lines made as
grpcurl makes them (grpcurl is not installed here): bash expands each line with a ``grpcurl`` function that records
its arguments, then the call is built from the descriptors the server sends through reflection and the ``-d`` JSON
read by protobuf's ``json_format``. Every RPC the daemon serves has an example of both kinds. README's client example
runs too, over gRPC and HTTP."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, Iterator

import grpc
import pytest
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from tests.grpc.conftest import NEWS, GrpcDaemon, start_grpc_daemon
from tests.grpc.test_bundle_upload import packed

DOC = Path(__file__).parents[2] / "docs" / "grpc.md"
DOC_ADDRESS, DOC_TOKEN = "127.0.0.1:50051", "/var/lib/wabbit/token"
STATUSES = {code.name for code in grpc.StatusCode}
SHOWN = re.compile(r"^(?P<indent> *)(?P<expression>\S.*?) +# [^#\n]*?-> (?P<shown>.+)$", re.M)
RECORD = 'grpcurl() { printf "%s\\0" "$@" >> "$RECORD"; printf "\\1\\0" >> "$RECORD"; }\nset -euo pipefail\n'


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", DOC.read_text(), re.S | re.M)


def shows(value: object, shown: str) -> None:
    pattern = ".*".join(re.escape(part) for part in shown.split("..."))
    assert re.fullmatch(pattern, repr(value)), f"{value!r}, not {shown} as {DOC} shows"


def checked(block: str) -> tuple[str, int]:
    """``block`` with each line ``EXPRESSION  # ... -> VALUE`` made a check that EXPRESSION's repr is VALUE (``...``:
    anything), and how many there are."""
    return SHOWN.subn(lambda m: f"{m['indent']}shows({m['expression']}, {m['shown']!r})", block)


def grpcurl_lines(script: str) -> list[str]:
    """The grpcurl commands of ``script`` as written, each over as many lines as it takes (``\\`` or an open quote)."""
    commands: list[str] = []
    open_command = ""
    for line in script.splitlines():
        if open_command or line.startswith("grpcurl "):
            open_command += line + "\n"
            try:
                complete = not line.endswith("\\") and bool(shlex.split(open_command, comments=True))
            except ValueError:  # a quote still open
                complete = False
            if complete:
                commands.append(open_command)
                open_command = ""
    assert not open_command, f"a grpcurl line of {DOC} never ends: {open_command}"
    return commands


@pytest.fixture
def doc_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GrpcDaemon]:
    """A new daemon with the doc's loop model ``news``; in the working directory the doc's files: ``m.vw``, a model of
    ``vw --oaa 3``, and ``ratings.wabbit``, a bundle of one named ``ratings``."""
    (tmp_path / "daemon").mkdir()
    running = start_grpc_daemon(tmp_path / "daemon")
    try:
        with running.client() as c:
            c.create_model("news", config_yaml=NEWS)
        bundle, _ = packed(tmp_path, "ratings", 50, arguments="--oaa 3")
        bundle.rename(tmp_path / "ratings.wabbit")
        (tmp_path / "ratings-50.vw").rename(tmp_path / "m.vw")
        monkeypatch.chdir(tmp_path)
        yield running
    finally:
        out = running.running.stop()
        assert running.running.proc.returncode == 0, out


class Reflected:
    """What grpcurl does with a command line: services and messages from reflection, requests from JSON."""

    def __init__(self, daemon: GrpcDaemon) -> None:
        self.daemon, self.channel = daemon, daemon.channel()
        self.database = ProtoReflectionDescriptorDatabase(self.channel)
        self.pool = descriptor_pool.DescriptorPool(self.database)  # the server's descriptors, not this process's stubs

    def run(self, args: list[str]) -> tuple[str, list[Any]]:
        """The status name and the answers of the call ``args`` (grpcurl's arguments) stands for."""
        headers: list[tuple[str, str]] = []
        positional: list[str] = []
        body, max_time = "", 30.0
        flags = iter(args)
        for arg in flags:
            if arg == "-H":
                key, _, value = next(flags).partition(":")
                headers.append((key.strip().lower(), value.strip()))
            elif arg == "-d":
                body = next(flags)
            elif arg == "-max-time":
                max_time = float(next(flags))
            elif arg != "-plaintext":
                assert not arg.startswith("-"), f"grpcurl flag {arg!r} is not checked by this test"
                positional.append(arg)
        address, verb, *symbols = positional
        assert address == DOC_ADDRESS, address
        if verb == "list":
            services = list(self.database.get_services())
            assert set(services) >= {"wabbit.v1.Serving", "wabbit.v1.Management", "inference.GRPCInferenceService"}
            return "OK", services
        if verb == "describe":
            return "OK", [self.pool.FindServiceByName(symbol) for symbol in symbols]
        return self.call(verb, headers, body, max_time)

    def call(self, verb: str, headers: list[tuple[str, str]], body: str, max_time: float) -> tuple[str, list[Any]]:
        service, method_name = verb.rsplit("/", 1)
        method = self.pool.FindServiceByName(service).methods_by_name[method_name]
        request_class, response_class = (message_factory.GetMessageClass(t) for t in (method.input_type, method.output_type))
        requests, decoder, rest = [], json.JSONDecoder(), body.strip()
        while rest:  # grpcurl's -d: one JSON object per request, a stream's one after another
            parsed, end = decoder.raw_decode(rest)
            requests.append(json_format.ParseDict(parsed, request_class()))
            rest = rest[end:].strip()
        requests = requests or [request_class()]
        kind = {(False, False): self.channel.unary_unary, (False, True): self.channel.unary_stream,
                (True, False): self.channel.stream_unary, (True, True): self.channel.stream_stream}
        call = kind[method.client_streaming, method.server_streaming](
            f"/{verb}", request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
        assert method.client_streaming or len(requests) == 1, f"{verb} takes one request, the doc sends {len(requests)}"
        answers: list[Any] = []
        try:
            answer = call(iter(requests) if method.client_streaming else requests[0], metadata=headers, timeout=max_time)
            for one in answer if method.server_streaming else [answer]:
                answers.append(json_format.MessageToDict(one))  # as grpcurl prints it
        except grpc.RpcError as err:
            return err.code().name, answers
        return "OK", answers


def test_every_grpcurl_line_gets_the_status_the_doc_says(doc_daemon: GrpcDaemon, tmp_path: Path) -> None:
    (script,) = [b for b in blocks("bash") if "grpcurl " in b]
    record = tmp_path / "grpcurl.args"
    subprocess.run(["bash", "-c", RECORD + script], check=True, cwd=tmp_path,
                   env={"PATH": "/usr/bin:/bin", "TOKEN": doc_daemon.running.token, "RECORD": str(record)})
    calls = [[a.decode() for a in c.split(b"\0") if a] for c in record.read_bytes().split(b"\1\0")[:-1]]
    lines = grpcurl_lines(script)
    assert len(calls) == len(lines), "bash ran another number of grpcurl lines than the doc shows"

    reflected, made = Reflected(doc_daemon), set()
    for line, args in zip(lines, calls):
        comment = line.rstrip().rpartition("  # ")[2] if "  # " in line.splitlines()[-1] else ""
        expected = next((word for word in re.findall(r"[A-Z_]+", comment) if word in STATUSES), "OK")
        status, answers = reflected.run(args)
        assert status == expected, line
        assert answers or status not in ("OK", "DEADLINE_EXCEEDED"), f"no answer before {status}: {line}"
        made.add(args[-1])

    served = {f"{s}/{m.name}" for s in reflected.database.get_services() if s != "grpc.reflection.v1alpha.ServerReflection"
              for m in reflected.pool.FindServiceByName(s).methods}
    assert served - made == set(), "RPCs without a grpcurl line in docs/grpc.md"
    python = "\n".join(blocks("python"))
    assert {rpc for rpc in served if not re.search(rf"\b{rpc.rpartition('/')[2]}\b", python)} == set(), "RPCs without a Python example"


def test_the_python_examples_run_as_written(doc_daemon: GrpcDaemon) -> None:
    token, values = doc_daemon.running.data_dir / "token", 0
    for number, block in enumerate(blocks("python")):
        code, shown = checked(block.replace(DOC_ADDRESS, doc_daemon.target).replace(DOC_TOKEN, str(token)))
        exec(compile(code, f"{DOC} python block {number + 1}", "exec"), {"shows": shows})  # noqa: S102 - the doc's own examples
        values += shown
    assert values >= 9, "the values docs/grpc.md shows (-> VALUE) are checked"
    with doc_daemon.client() as c:
        assert {m.name for m in c.models()} == {"default", "news", "ratings"}
        versions = [v.version for v in c.versions("ratings")]  # uploads, a bundle's and a rollback among them
        assert len(versions) > 3 and versions == sorted(set(versions), reverse=True)  # only ever up


def test_readme_client_example_runs_as_written_over_grpc_and_http(doc_daemon: GrpcDaemon) -> None:
    readme = (DOC.parents[1] / "README.md").read_text()
    (block,) = [b for b in re.findall(r"^```python\n(.*?)^```$", readme, re.S | re.M) if "appliance.client" in b]
    grpc_url = re.findall(r'connect\("([^"]+)"', block)[0]  # the block's address; its comment gives the HTTP one
    for url in (f"grpc://{doc_daemon.target}", doc_daemon.running.base):
        scope: dict[str, Any] = {"TOKEN": doc_daemon.running.token}
        exec(compile(block.replace(grpc_url, url), "README.md's client example", "exec"), scope)  # noqa: S102
        with doc_daemon.running.client() as c:
            event = c.get(f"/api/events/{scope['d'].event_id}").json()
        assert [r["value"] for r in event["rewards"]] == [1.0], (url, event)
