"""Checks an export must pass before it changes anything.

Each failure raises :class:`ExportRefusedError` with a one-line reason: nothing is published and
no state changes (the rejects file is still written, to show what was wrong). Reading refuses
what is wrong with the file as a whole (no header, columns missing, UTF-16: see
:mod:`connectors.reader`) and :mod:`connectors.exportdate` an export without a sound date;
here the rows and the snapshot diff are checked:

* an export whose every row was rejected;
* a snapshot with no rows when the previous snapshot had some;
* a snapshot that would resolve more than ``max_resolved_percent`` of the previous snapshot's
  rows (from :data:`MIN_ROWS_FOR_SHARE` rows on): a truncated export, not a good month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from connectors.errors import ExportRefusedError
from connectors.mapping import SourceSpec
from connectors.rows import Reject
from connectors.snapshot import Plan

__all__ = ["MIN_ROWS_FOR_SHARE", "check_plan", "check_rows"]

MIN_ROWS_FOR_SHARE = 20
_NOTHING = "nothing was published and no state changed"


def check_rows(
    path: Path, *, read: int, valid: int, rejects: Sequence[Reject], rejects_file: Path
) -> None:
    """Refuse an export whose every row was rejected."""
    if read == 0 or valid > 0:
        return
    (field, reason), count = Counter((r.field, r.reason) for r in rejects).most_common(1)[0]
    raise ExportRefusedError(
        f"{path}: every row ({read}) was rejected, most often {field}: {reason} ({count} "
        f"rows); {_NOTHING}. Rejects: {rejects_file}"
    )


def check_plan(path: Path, source: SourceSpec, *, read: int, previous: int, plan: Plan) -> None:
    """Refuse a snapshot that is empty, or resolves too much, against ``previous`` rows."""
    if source.kind != "snapshot" or previous == 0 or source.max_resolved_percent == 100:
        return
    if read == 0:
        raise ExportRefusedError(
            f"{path}: the export has no rows, the last snapshot had {previous}; {_NOTHING}. "
            "If every case really closed, set max_resolved_percent = 100 in [source] for "
            "this run"
        )
    resolved = sum(1 for c in plan.changes if c.kind == "resolved")
    share = 100 * resolved / previous
    if previous >= MIN_ROWS_FOR_SHARE and share > source.max_resolved_percent:
        raise ExportRefusedError(
            f"{path}: would resolve {resolved} of the last snapshot's {previous} rows "
            f"({share:.0f}%, more than max_resolved_percent = {source.max_resolved_percent}): "
            f"a truncated or wrong export? {_NOTHING}. If it is right, raise "
            "max_resolved_percent in [source] for this run"
        )
