"""Read ``<dir>/<Record>/v<N>.avsc`` trees (the shipped one, or a candidate in a tmp dir)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from schemas.errors import SchemaError

__all__ = ["read_tree"]


def read_tree(avro_dir: Path) -> dict[str, list[tuple[int, Path, dict[str, Any]]]]:
    """Every record's versions as ``(number, path, schema)``, oldest first."""
    out: dict[str, list[tuple[int, Path, dict[str, Any]]]] = {}
    for folder in sorted(p for p in avro_dir.iterdir() if p.is_dir()):
        versions = []
        for path in folder.glob("v*.avsc"):
            if not path.stem[1:].isdigit():
                raise SchemaError(f"{path}: name it v<N>.avsc, N a whole number")
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SchemaError(f"{path}: cannot read it as JSON ({exc})") from exc
            versions.append((int(path.stem[1:]), path, schema))
        out[folder.name] = sorted(versions, key=lambda v: v[0])
    return out
