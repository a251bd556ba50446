"""What a contributor is pointed to lives in the repository: the README, docs/ and the code's
docstrings name docs/architecture.md and docs/design.md, never a design file outside it (they
pointed to DESIGN.md, a file of the build machine's shared folder)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _texts():
    yield ROOT / "README.md"
    yield ROOT / "Makefile"
    for folder in ("docs", "portal_app", "tests", "bench"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".md", ".py") and ".web" not in path.parts:
                yield path


def test_nothing_points_outside_the_repository():
    me = Path(__file__).resolve()
    for path in _texts():
        if path.resolve() == me:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for bad in ("../shared", "/work/shared", "DESIGN.md"):
            assert bad not in text, f"{path.relative_to(ROOT)} mentions {bad}"


def test_the_docs_the_readme_links_exist():
    readme = (ROOT / "README.md").read_text()
    links = set(re.findall(r"\]\((docs/[^)#]+)", readme))
    assert {"docs/architecture.md", "docs/design.md"} <= links
    for link in links:
        assert (ROOT / link).is_file(), link
