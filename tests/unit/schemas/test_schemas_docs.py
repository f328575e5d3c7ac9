"""docs/contracts.md: its examples run, and its topic table matches the catalogue."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from schemas.asyncapi import asyncapi_document
from schemas.catalogue import CATALOGUE
from schemas.codec import decode
from schemas.models import WorkSignal

DOC = Path(__file__).resolve().parents[3] / "docs" / "contracts.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_both_examples() -> None:
    assert len(BLOCKS) == 2


def test_python_sdk_example_runs() -> None:
    exec(compile(BLOCKS[0], f"{DOC}:sdk-example", "exec"), {})  # noqa: S102


def test_any_language_example_produces_what_the_hub_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wijkhub.asyncapi.json").write_text(json.dumps(asyncapi_document()))
    monkeypatch.chdir(tmp_path)
    scope: dict[str, object] = {}
    exec(compile(BLOCKS[1], f"{DOC}:any-language-example", "exec"), scope)  # noqa: S102
    record = decode(scope["value"], scope["headers"], topic="wijkhub.ingest.werk.v1")
    assert isinstance(record, WorkSignal)
    assert str(record.event_id) == "9b2e7f0a-0000-4000-8000-00000000abcd"


def test_topic_table_matches_the_catalogue() -> None:
    rows = re.findall(r"^\| ([a-z.-]+\.v1) \| (.*) \|$", DOC.read_text(), flags=re.MULTILINE)
    table = {name: [c.strip() for c in rest.split("|")] for name, rest in rows}
    assert list(table) == [spec.name for spec in CATALOGUE]
    for spec in CATALOGUE:
        key, records, writers, readers, retention, partitions = table[spec.name]
        assert key == spec.key
        assert records.split(", ") == [r.avro_name for r in spec.records] or not spec.records
        assert writers.split(", ") == sorted(spec.writers)
        assert readers.split(", ") == sorted(spec.readers)
        assert int(retention) == spec.retention_days
        assert int(partitions) == spec.partitions
