"""Fuzzed ``PUT /api/config`` and ``PUT /api/model`` never get a 5xx, and the daemon keeps answering.

Seeded (a failure names its case and repeats). Configs are built from the config's own JSON schema: its
sections, keys and ``type`` tags, with values that fit, values that do not (huge numbers, dates, tags,
binary junk, deep nesting, aliases), then often mangled as text. Every host and URL points at 127.0.0.1, so
a config that validates (and is applied) talks to nothing but this machine. Models are random bytes,
truncated and bit-flipped copies of the daemon's own model: whether one is accepted is not checked here.
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
import string
from pathlib import Path
from typing import Any

import httpx

from appliance.config import json_schema
from tests.api.conftest import start_daemon

SEED = 20240601
CONFIGS = 400
MODELS = 30
SCHEMA = json_schema()
LOOPBACK = {"host": "127.0.0.1", "url": "http://127.0.0.1:9/wabbit", "base_url": "http://127.0.0.1:9/"}
NASTY = [
    lambda r: "9" * r.choice([20, 400, 4301, 20_000]),
    lambda r: "-0x" + "f" * r.choice([30, 5000]),
    lambda r: "0b" + "1" * r.choice([70, 30_000]),
    lambda r: "1" + ":59" * r.choice([3, 5000]),
    lambda r: r.choice(["1e400", "-.inf", ".nan", "1e-400", "0.0", "-0", "1_000", "0o777", "+12", "0x_1"]),
    lambda r: r.choice(["2001-13-45", "2001-12-14t21:59:43.10-05:00", "!!timestamp x", "!!int x", "!!float x", "!!bool maybe"]),
    lambda r: r.choice(["!!binary '***'", "!!binary AAAA", "!!set {a, b}", "!!omap [a]", "!!python/object:os.system {}", "!!str"]),
    lambda r: r.choice(["~", "null", "yes", "off", "''", '""', "[]", "{}", "? a", "<<: 1", "*nowhere", "&a [*a]", "|\n  x", ">-"]),
    lambda r: "[" * r.choice([5, 40, 3000]) + "]" * r.choice([0, 5, 40, 3000]),
    lambda r: "{a: " * r.choice([10, 40, 2000]) + "1" + "}" * r.choice([10, 40, 2000]),
    lambda r: "".join(chr(r.choice([0, 7, 9, 27, 0x85, 0xFEFF, 0xD800, 0xFFFE, r.randrange(0x20, 0x2FFF)])) for _ in range(r.randrange(1, 40))),
    lambda r: json.dumps("".join(r.choice(string.printable) for _ in range(r.choice([1, 50, 3000])))),
]


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return resolve(SCHEMA["$defs"][ref.rsplit("/", 1)[1]]) if ref else node


class ConfigFuzzer:
    """Random YAML text shaped by the config's JSON schema; emitted in flow style, so any value can be raw text."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.anchors = 0
        self.nastiness = 0.0

    def document(self) -> str:
        r = self.r
        self.nastiness = r.choice([0.0, 0.0, 0.03, 0.15])  # half the documents are shaped to validate
        sections = r.sample(sorted(SCHEMA["properties"]), r.randint(1, 3))
        text = "".join(f"{name}: {self.value(SCHEMA['properties'][name], name, 1)}\n" for name in sections)
        if r.random() < self.nastiness:
            text += f"{r.choice(['junk', 'policy', '~', '? [1]', '- x', '9' * 5000])}: {self.nasty()}\n"
        if r.random() < 2 * self.nastiness:  # mangle the text: cut it, or drop in a character that does not belong
            at = r.randrange(len(text) + 1)
            text = text[:at] if r.random() < 0.5 else text[:at] + r.choice(["\x00", "\t", ":", "[", "&", "*", "!", "%", "\ufeff", "\r"]) + text[at:]
        return text

    def nasty(self) -> str:
        return self.r.choice(NASTY)(self.r)

    def value(self, node: dict[str, Any], key: str, depth: int) -> str:
        r, node = self.r, resolve(node)
        if key in LOOPBACK:
            return LOOPBACK[key]
        if r.random() < self.nastiness or depth > 6:
            return self.nasty()
        if r.random() < 0.05:
            self.anchors += 1
            return f"&a{self.anchors} {self.value(node, key, depth + 1)}"
        if r.random() < 0.05 and self.anchors:
            return f"*a{r.randint(1, self.anchors)}"
        choices = node.get("anyOf") or node.get("oneOf")
        if choices:
            return self.value(r.choice(choices), key, depth)
        if "const" in node or "enum" in node:
            return json.dumps(node.get("const", r.choice(node.get("enum", [None]))))
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return self.mapping(node, depth)
        if kind == "array":
            items = node.get("prefixItems") or [node.get("items", {})] * r.randint(0, 3)
            return "[" + ", ".join(self.value(item, key, depth + 1) for item in items) + "]"
        return self.scalar(node)

    def mapping(self, node: dict[str, Any], depth: int) -> str:
        r, props = self.r, node.get("properties", {})
        keys = r.sample(sorted(props), min(len(props), r.randint(0, 4)))
        pairs = [f"{k}: {self.value(props[k], k, depth + 1)}" for k in keys]
        if "type" in props:  # a tagged union member: its tag, mostly right
            pairs.insert(0, f"type: {json.dumps(props['type'].get('const', 'x')) if r.random() < 0.9 else self.nasty()}")
        if r.random() < 0.05:
            pairs.append(f"{r.choice(['extra', 'typo_s', 'type'])}: {self.nasty()}")
        if "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
            pairs += [f"{r.choice(['warm', 'cool', 'x', ''])}: {self.value(node['additionalProperties'], 'item', depth + 1)}"
                      for _ in range(r.randint(0, 2))]
        return "{" + ", ".join(pairs) + "}"

    def scalar(self, node: dict[str, Any]) -> str:
        r, kind, fits = self.r, node.get("type"), self.r.random() < 0.85
        low, high = node.get("minimum", node.get("exclusiveMinimum", -10)), node.get("maximum", node.get("exclusiveMaximum", 1000))
        if kind == "integer":
            return str(r.randint(int(low), int(min(high, 2**40))) if fits else r.choice([int(low) - 1, int(high) + 1]))
        if kind == "number":
            return repr(r.uniform(low, min(high, 1e12)) if fits else r.choice([low, high, -high, 0]))
        if kind == "boolean":
            return r.choice(["true", "false"]) if fits else r.choice(["1", "'true'", "on"])
        if fits:
            return r.choice(["a1", "warm", "cool", "x", "default", "GPIO17"])
        return json.dumps("".join(r.choice(string.ascii_letters + string.digits + "._-/ ") for _ in range(r.randint(0, 20))))


def model_variants(rng: random.Random, model: bytes) -> list[bytes]:
    """Random bytes, truncations, bit flips and splices of a real model."""
    out: list[bytes] = []
    for i in range(MODELS):
        kind = i % 5
        if kind == 0:
            out.append(rng.randbytes(rng.choice([1, 16, 1000, 100_000])))
        elif kind == 1:
            out.append(model[:rng.randrange(1, len(model))])
        elif kind == 2:
            flipped = bytearray(model)
            for _ in range(rng.randint(1, 20)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            out.append(bytes(flipped))
        elif kind == 3:
            out.append(model[:rng.randrange(len(model))] + rng.randbytes(rng.randint(1, 5000)))
        else:
            out.append(model * rng.randint(2, 3))
    return out


def put(c: httpx.Client, url: str, failures: list[str], case: str, **kwargs: Any) -> str:
    """PUT, and note ``case`` in ``failures`` on a 5xx or a dropped connection; the status code (or ``dropped``)."""
    try:
        r = c.put(url, **kwargs)
    except httpx.TransportError as err:
        failures.append(f"{case}: {err!r}")
        return "dropped"
    if r.status_code >= 500:
        failures.append(f"{case}: {r.status_code} {r.text[:300]}")
    return str(r.status_code)


def test_fuzzed_config_and_model_uploads_get_no_5xx(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    running = start_daemon(tmp_path)
    failures: list[str] = []
    tried: dict[str, collections.Counter[str]] = {"config": collections.Counter(), "model": collections.Counter()}
    try:
        with running.client() as c:
            fuzzer = ConfigFuzzer(rng)
            for case in range(CONFIGS):
                text = fuzzer.document()
                body = json.dumps({"yaml": text}).encode() if rng.random() < 0.97 else rng.randbytes(rng.randint(0, 200))
                tried["config"][put(c, "/api/config", failures, f"config case {case} {text[:500]!r}", content=body,
                                    headers={"Content-Type": "application/json"})] += 1
            model = c.get("/api/model").content
            for case, data in enumerate(model_variants(rng, model)):
                version = rng.choice([0, 1, 2**62, -1, 2**70])
                digest = rng.choice([hashlib.sha256(data).hexdigest(), hashlib.sha256(model).hexdigest(), "not-hex" * 30])
                tried["model"][put(c, "/api/model", failures, f"model case {case} ({len(data)} bytes of {len(model)})", content=data,
                                   params={"model_version": version},
                                   headers={"Content-Type": rng.choice(["application/octet-stream", "text/plain", "application/json"]),
                                            "X-Model-SHA256": digest})] += 1
            assert running.proc.poll() is None, "the daemon died"
            assert httpx.get(f"{running.base}/healthz", timeout=5).status_code == 200
            assert c.get("/api/status").status_code == 200
    finally:
        out = running.stop()
    for kind, statuses in tried.items():
        print(f"PUT /api/{kind}: {statuses.total()} requests tried, by status {dict(sorted(statuses.items()))}")
    assert not failures, "\n\n".join(failures[:5]) + f"\n\n({len(failures)} failures)\n{out[-3000:]}"
    assert running.proc.returncode == 0 and "Traceback" not in out, out[-5000:]
