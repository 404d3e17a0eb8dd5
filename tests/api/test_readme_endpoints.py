"""README's endpoint table, and docs/models.md's that it links to, against the daemon's own spec (``/openapi.json``):
every endpoint they name is served, every served one is named (but the dashboard's log-in), and a row names the
headers and query parameters its endpoint reads and, for a JSON body, the body's required fields, so a user who
copies the row sends what the daemon reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.api.conftest import Running

ROOT = Path(__file__).parents[2]
DOCS = (ROOT / "README.md", ROOT / "docs" / "models.md")
"""README's table of the daemon's endpoints, and the page with the table of the several models' endpoints."""
UNDOCUMENTED = {("POST", "/api/login"), ("POST", "/api/logout")}
"""The dashboard's own log-in form; README says how to log in, not what the form posts."""
OUTSIDE_THE_SPEC = {("GET", "/openapi.json"), ("GET", "/docs")}
"""Served, and named in README, but not part of the spec they describe."""


def documented(readme: str) -> list[tuple[str, str, str]]:
    """(method, path, row) of each endpoint the docs' tables name: `GET /a`, `GET`, `PUT /a` (both methods on /a),
    and `.../b` (the previous path's sibling, with the previous method)."""
    found: list[tuple[str, str, str]] = []
    for row in readme.splitlines():
        if not row.startswith("| `"):
            continue
        methods: list[str] = []
        last_method, last_path = "", ""
        for code in re.findall(r"`([^`]*)`", row.split(" | ")[0]):
            m = re.fullmatch(r"(?:(GET|POST|PUT|DELETE)\s*)?(\S+)?.*", code)
            if m is None or not (m.group(1) or (m.group(2) or "").startswith(".../")):
                continue
            if m.group(2) is None:
                methods.append(m.group(1))
                continue
            methods, path = [*methods, m.group(1) or last_method], m.group(2).split("?")[0]
            if path.startswith(".../"):
                path = last_path.rsplit("/", 1)[0] + path[3:]
            found += [(method, path, row) for method in methods]
            methods, last_method, last_path = [], methods[-1], path
    return found


def shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_readme_names_every_endpoint_the_daemon_serves_with_the_body_it_reads(shared_daemon: Running) -> None:
    with shared_daemon.client() as c:
        spec = c.get("/openapi.json").json()
    served: dict[tuple[str, str], Any] = {(m.upper(), shape(p)): op for p, item in spec["paths"].items()
                                          for m, op in item.items()}
    rows = documented("\n".join(doc.read_text() for doc in DOCS))
    named = {(m, shape(p)) for m, p, _ in rows}
    assert named - set(served) - OUTSIDE_THE_SPEC == set(), "README or docs/models.md names endpoints the daemon does not serve"
    assert set(served) - named - UNDOCUMENTED == set(), "endpoints missing from the tables of README and docs/models.md"
    for method, path, row in rows:
        if (method, path) in OUTSIDE_THE_SPEC:
            continue
        read = [(h["name"], h["in"]) for h in served[method, shape(path)].get("parameters", []) if h["in"] in ("header", "query")]
        assert [h for h in read if h[0].lower() not in row.lower()] == [], f"the docs' row for {method} {path} omits what it reads"
        body = served[method, shape(path)].get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        schema = body["schema"]
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema else schema
        said = row + "".join(other for _, p, other in rows if f"as `{p}`" in row or f"and `{p}`" in row)  # "as `/api/x`"
        unnamed = [f for f in schema.get("required", []) if f'"{f}"' not in said and f"`{f}`" not in said]
        assert unnamed == [], f"the docs' row for {method} {path} does not name the body's fields {unnamed}: {row}"
