"""The import boundaries of ``[tool.importlinter]`` hold, and would catch a bad import.

``make lint`` runs ``lint-imports`` on the tree; this test runs it on a copy with one
deliberate bad import per contract, so a contract that stopped matching anything fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("schemas", "connectors", "streams", "inbox")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, out / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", out / "pyproject.toml")
    return out


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    done = _lint(tree)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "bad"),
    [
        ("inbox/labels.py", "streams.settings"),
        ("inbox/labels.py", "faust"),
        ("connectors/progress.py", "streams.errors"),
        ("connectors/progress.py", "inbox.errors"),
        ("streams/errors.py", "inbox.errors"),
        ("schemas/errors.py", "connectors.errors"),
    ],
)
def test_a_bad_import_breaks_a_contract(tree: Path, module: str, bad: str) -> None:
    path = tree / module
    original = path.read_text(encoding="utf-8")
    path.write_text(original + f"\nimport {bad}  # deliberate bad import\n", encoding="utf-8")
    try:
        done = _lint(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert done.returncode == 1, done.stdout[-3000:]
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {bad}" in done.stdout
