"""The docs/ folder: every page is linked from README.md, every relative link in README.md and
docs/ resolves inside the repository (the citation check of test_front_door.py covers docs/ as
it covers every file)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_the_pages_exist():
    names = {p.name for p in PAGES}
    assert {"ir.md", "fixed-point.md", "complexity.md", "add-a-layer.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_is_linked_from_the_readme(page):
    assert f"(docs/{page.name})" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("source", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_relative_links_resolve(source):
    text = source.read_text()
    broken = [target for target in LINK.findall(text)
              if "://" not in target and not (source.parent / target).exists()]
    assert not broken, broken


def test_the_pipelines_in_docs_are_the_builtin_ones():
    from nncc.compiler.pipelines import BUILTIN_PIPELINES

    text = (ROOT / "docs" / "ir.md").read_text()
    assert all(f"| `{name}` |" in text for name in BUILTIN_PIPELINES)
