"""BACKWARD_TRANSITIVE compatibility: each schema version reads data of every earlier one.

This is what lets the codec resolve any kept writer version into the current one, and lets a
consumer upgrade before its producers. The check uses Apache Avro's own
``ReaderWriterCompatibilityChecker`` (the ``avro`` package, a dev dependency), so it judges
exactly as the Java implementation does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas._avrogen import AVRO_DIR
from schemas._avsc_files import read_tree
from schemas.errors import SchemaCompatibilityError

__all__ = ["check_backward_transitive", "incompatibilities"]


def _checker() -> Any:
    try:
        from avro.compatibility import (
            ReaderWriterCompatibilityChecker,
            SchemaCompatibilityType,
        )
        from avro.schema import parse
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SchemaCompatibilityError(
            "the compatibility check needs Apache Avro's 'avro' package: pip install wijkhub[dev]"
        ) from exc

    def compatible(reader: dict[str, Any], writer: dict[str, Any]) -> str | None:
        checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
        result = checker.get_compatibility(parse(json.dumps(reader)), parse(json.dumps(writer)))
        if result.compatibility is SchemaCompatibilityType.compatible:
            return None
        return "; ".join(
            f"{message} at {location}"
            for message, location in zip(result.messages, result.locations, strict=False)
        )

    return compatible


def incompatibilities(avro_dir: Path = AVRO_DIR) -> list[str]:
    """Every (later, earlier) version pair under ``avro_dir`` where later cannot read earlier."""
    compatible = _checker()
    problems = []
    for record, versions in read_tree(avro_dir).items():
        for i, (number, path, reader) in enumerate(versions):
            if reader.get("name") != record:
                problems.append(f"{path}: record name {reader.get('name')!r} is not {record!r}")
            for earlier, _earlier_path, writer in versions[:i]:
                why = compatible(reader, writer)
                if why is not None:
                    problems.append(f"{record} v{number} cannot read v{earlier}: {why}")
    return problems


def check_backward_transitive(avro_dir: Path = AVRO_DIR) -> None:
    """Raise :class:`SchemaCompatibilityError` listing every incompatible version pair."""
    problems = incompatibilities(avro_dir)
    if problems:
        raise SchemaCompatibilityError(
            "schema versions are not BACKWARD_TRANSITIVE compatible:\n  - "
            + "\n  - ".join(problems)
            + "\nAdd fields with a default, never remove enum symbols or change types; an "
            "incompatible change needs a new record and topic (…v2)."
        )
