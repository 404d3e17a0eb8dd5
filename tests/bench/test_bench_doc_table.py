"""docs/benchmarks.md's table "What each benchmark measures" has a row for every benchmark ``wabbit bench --list``
names, so a user who runs one can read what its figure, reference and ratio are."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from appliance.bench.registry import all_benchmarks

DOC = Path(__file__).parents[2] / "docs" / "benchmarks.md"


def table_names() -> set[str]:
    """The names in the first cells of the table; ``.linear`` after ``quality.light`` is ``quality.linear``."""
    table = DOC.read_text().split("## What each benchmark measures", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        prefix = ""
        for name in re.findall(r"`([^`]+)`", row.split(" | ")[0]) if row.startswith("| `") else []:
            names.add(prefix + name[1:] if name.startswith(".") else name)
            prefix = prefix if name.startswith(".") else name.rsplit(".", 1)[0] + "."
    return names


def test_every_benchmark_has_a_row_and_every_row_a_benchmark() -> None:
    registered, rows = set(all_benchmarks()), table_names()
    assert sorted(registered - rows) == [], f"benchmarks without a row in {DOC}"
    assert sorted(rows - registered) == [], f"rows of {DOC} for benchmarks that do not exist"


def test_every_only_pattern_in_the_docs_names_a_benchmark() -> None:
    names = list(all_benchmarks())
    unmatched = []
    for doc in [DOC.parents[1] / "README.md", *sorted(DOC.parent.glob("*.md"))]:
        text = doc.read_text()
        for only in re.finditer(r"--only '?([A-Za-z0-9_.*]+)'?", text):
            if only.group(1) != "PATTERN" and not fnmatch.filter(names, only.group(1)):
                unmatched.append(f"{doc.name}:{text[:only.start()].count(chr(10)) + 1}: {only.group(1)}")
    assert unmatched == []
