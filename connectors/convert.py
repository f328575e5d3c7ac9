"""Converting one export value into a contract value, as a :class:`FieldSpec` says.

Every failure is a :class:`RowError` whose reason describes what was expected, never the
value that was found (it may be personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from connectors.errors import RowError
from connectors.mapping import FieldSpec
from connectors.plausible import DateWindow

__all__ = ["Transform", "convert_field", "parse_date"]

Transform = Callable[[str], Any]
"""A partner-specific conversion (e.g. months of arrears to a band); raises ValueError."""

_TRUE = frozenset({"1", "true", "ja", "j", "yes", "y"})
_FALSE = frozenset({"0", "false", "nee", "n", "no"})


@lru_cache(maxsize=8192)  # exports repeat their dates; strptime is slow
def parse_date(text: str, formats: tuple[str, ...]) -> date:
    """The date in ``text`` in the first of ``formats`` that fits; ValueError otherwise."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a valid date in format {' or '.join(formats)}")


def _lookup(values: Mapping[str, Any], text: str, name: str) -> Any:
    if text in values:
        return values[text]
    folded = text.casefold()
    for key, value in values.items():
        if key.casefold() == folded:
            return value
    raise RowError(name, f"unknown code; expected one of {', '.join(sorted(values))}")


def _date(text: str, name: str, formats: tuple[str, ...], window: DateWindow | None) -> date:
    try:
        day = parse_date(text, formats)
    except ValueError as exc:
        raise RowError(name, str(exc)) from None
    problem = window.problem(day) if window is not None else None
    if problem is not None:
        raise RowError(name, problem)
    return day


def _scalar(
    spec: FieldSpec,
    text: str,
    name: str,
    formats: tuple[str, ...],
    window: DateWindow | None,
) -> Any:
    if spec.values is not None:
        return _lookup(spec.values, text, name)
    kind = spec.type
    if kind == "date":
        return _date(text, name, spec.formats or formats, window)
    if kind == "datetime":
        day = _date(text, name, spec.formats or formats, window)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise RowError(name, "not a whole number") from None
    if kind == "bool":
        folded = text.casefold()
        if folded in _TRUE or folded in _FALSE:
            return folded in _TRUE
        raise RowError(name, "not a yes/no value (ja/nee, j/n, true/false, 1/0)")
    return text


def convert_field(
    name: str,
    spec: FieldSpec,
    row: Mapping[str, str],
    *,
    formats: tuple[str, ...],
    transforms: Mapping[str, Transform],
    window: DateWindow | None = None,
) -> tuple[bool, Any]:
    """``(present, value)`` of contract field ``name``; absent only when optional and empty.

    A date outside ``window`` (the field's plausibility window) is rejected like a bad date.
    """
    if spec.constant is not None:
        return True, spec.constant
    column = spec.column or name
    if column not in row:
        raise RowError(column, "column is missing from this row")
    text = row[column].strip()
    if not text:
        if spec.optional:
            return False, None
        raise RowError(column, "is empty")
    if spec.transform is not None:
        try:
            return True, transforms[spec.transform](text)
        except ValueError as exc:
            raise RowError(column, str(exc)) from None
    if spec.type == "list":
        items = [item.strip() for item in text.split(spec.separator) if item.strip()]
        return True, [_scalar(spec, item, column, formats, window) for item in items]
    return True, _scalar(spec, text, column, formats, window)
