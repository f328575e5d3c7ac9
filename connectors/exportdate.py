"""The export date of a run: from ``--as-of``, the file's contents or its name — never today.

The mapping says where an export carries its date: ``as_of_column`` (the date the rows agree
on; a row naming another date is rejected) and/or ``as_of_file_name`` (a pattern with named
groups ``year``, ``month`` and optionally ``day``). When both give a date they must agree.
``--as-of`` overrides both. An export that gives no date, or an implausible one (before 2000,
or after tomorrow), is refused: a snapshot's date decides which rows are refreshed and which
exports count as older, so a guessed date would corrupt the state.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from connectors.convert import parse_date
from connectors.errors import ExportRefusedError
from connectors.mapping import SourceSpec
from connectors.reader import RawRow

__all__ = ["EARLIEST_EXPORT", "ExportDate", "export_date"]

EARLIEST_EXPORT = date(2000, 1, 1)
_MAX_DISTINCT = 1000


class ExportDate:
    """An export's date and whether each row's ``as_of_column`` must name it."""

    __slots__ = ("check_rows", "day", "origin")

    def __init__(self, day: date, origin: str, *, check_rows: bool) -> None:
        self.day = day
        self.origin = origin
        self.check_rows = check_rows


def _from_file_name(path: Path, pattern: str | None) -> date | None:
    if pattern is None:
        return None
    match = re.search(pattern, path.name)
    if match is None:
        return None
    parts = match.groupdict()
    try:
        return date(int(parts["year"]), int(parts["month"]), int(parts.get("day") or 1))
    except (TypeError, ValueError):
        raise ExportRefusedError(
            f"{path}: the file name does not hold a valid date where as_of_file_name expects it"
        ) from None


def _from_column(path: Path, rows: Iterable[RawRow], source: SourceSpec) -> date | None:
    column = source.as_of_column
    if column is None:
        return None
    cells = Counter(r.fields.get(column, "").strip() for r in rows if r.problem is None)
    days: Counter[date] = Counter()
    for text, count in cells.most_common(_MAX_DISTINCT):
        try:
            days[parse_date(text, source.as_of_formats)] += count
        except ValueError:
            continue
    ranked = days.most_common(2)
    if not ranked:
        return None
    if len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        raise ExportRefusedError(
            f"{path}: column {column!r} names {ranked[0][0]} and {ranked[1][0]} equally often; "
            "which is the export date? Fix the export, or pass --as-of"
        )
    return ranked[0][0]


def _plausible(path: Path, day: date, origin: str, today: date) -> None:
    if EARLIEST_EXPORT <= day <= today + timedelta(days=1):
        return
    raise ExportRefusedError(
        f"{path}: the export date {day} ({origin}) is implausible: before {EARLIEST_EXPORT} or "
        f"after tomorrow ({today + timedelta(days=1)}); a typo? Fix the export, or pass --as-of"
    )


def export_date(
    path: Path, rows: list[RawRow], source: SourceSpec, *, given: date | None, today: date
) -> ExportDate:
    """The export date of ``path`` (refused with :class:`ExportRefusedError` when none is sound)."""
    if given is not None:
        _plausible(path, given, "--as-of", today)
        return ExportDate(given, "--as-of", check_rows=False)
    named = _from_file_name(path, source.as_of_file_name)
    listed = _from_column(path, rows, source)
    if named is not None and listed is not None and named != listed:
        raise ExportRefusedError(
            f"{path}: the file name says the export is of {named}, column "
            f"{source.as_of_column!r} says {listed}; fix the export, or pass --as-of"
        )
    if listed is not None:
        found = ExportDate(listed, f"column {source.as_of_column!r}", check_rows=True)
    elif named is not None:
        found = ExportDate(named, "file name", check_rows=source.as_of_column is not None)
    else:
        where = [f"column {source.as_of_column!r}"] if source.as_of_column else []
        where += ["the file name (as_of_file_name)"] if source.as_of_file_name else []
        said = f"neither {' nor '.join(where)} gives one" if where else "the mapping names none"
        raise ExportRefusedError(
            f"{path}: no export date: {said}; pass --as-of YYYY-MM-DD, or set as_of_column or "
            "as_of_file_name in the mapping's [source]"
        )
    _plausible(path, found.day, found.origin, today)
    return found
