"""The links between the user docs (README, the kit guide, docs/*.md, demos/README.md) reach a file that exists and,
with a ``#anchor``, a heading of it (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOCS = [ROOT / "README.md", ROOT / "kit" / "README.md", ROOT / "demos" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def anchors(doc: Path) -> set[str]:
    found: set[str] = set()
    fenced = False
    for line in doc.read_text().splitlines():
        fenced = fenced != line.lstrip().startswith("```")
        heading = re.match(r"#+\s+(.*)", line)
        if heading and not fenced:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
            found.add(slug if slug not in found else next(f"{slug}-{i}" for i in range(1, 99) if f"{slug}-{i}" not in found))
    return found


def test_every_link_between_the_docs_reaches_its_file_and_heading() -> None:
    broken = []
    for doc in DOCS:
        text = doc.read_text()
        for link in re.finditer(r"\]\(([^)\s]+)\)", text):
            target, _, anchor = link.group(1).partition("#")
            if re.match(r"[a-z]+:", target):
                continue  # another site
            path = (doc.parent / target).resolve() if target else doc
            if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
                broken.append(f"{doc.relative_to(ROOT)}:{text[:link.start()].count(chr(10)) + 1}: {link.group(1)}")
    assert broken == []


def test_readme_links_every_docs_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert [page.name for page in sorted((ROOT / "docs").glob("*.md")) if f"](docs/{page.name}" not in readme] == []
