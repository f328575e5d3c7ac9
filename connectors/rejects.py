"""The rejects file: one CSV line per rejected row — line number, column or field, reason.

It never holds row content: reasons describe what was expected, not what was found.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from connectors.errors import ConnectorError
from connectors.rows import Reject

__all__ = ["write_rejects"]

HEADER = ("line", "field", "reason")


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    """Write ``rejects`` sorted by line to ``path`` (replacing it); returns how many."""
    rows = sorted(rejects, key=lambda r: r.line)
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows((r.line, r.field, r.reason) for r in rows)
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot write the rejects file ({exc.strerror})") from None
    return len(rows)
