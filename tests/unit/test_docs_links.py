"""Every relative link in the README and docs/ points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_relative_links_resolve() -> None:
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in pages
        for target in LINK.findall(page.read_text("utf-8"))
        if "://" not in target
        and not target.startswith("mailto:")
        and not (page.parent / target).exists()
    ]
    assert len(pages) > 5
    assert broken == []


# made by running something (git-ignored), so absent in a fresh clone
GENERATED = ("bench/results/", "deploy/local/.cache", "deploy/local/.run")
PATH_SPAN = re.compile(
    r"`((?:schemas|connectors|streams|inbox|deploy|tests|bench|docs)/[^`\s*<>{}]*)`"
)


def test_paths_named_in_docs_exist() -> None:
    """A file or folder the docs name in a code span (``streams/rules/``) exists: docs that
    still point at a moved module fail here."""
    pages = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
    named = {
        (page.relative_to(ROOT), path)
        for page in pages
        for path in PATH_SPAN.findall(page.read_text("utf-8"))
    }
    missing = sorted(
        f"{page} -> {path}"
        for page, path in named
        if not path.startswith(GENERATED) and not (ROOT / path).exists()
    )
    assert len(named) > 20
    assert missing == []
