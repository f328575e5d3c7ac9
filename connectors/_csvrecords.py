"""CSV records that never take the rest of the file with them.

The standard library's reader is used in strict mode, one physical line at a time, with two
recoveries, so that one broken row is one rejected row and never a traceback or a lost file:

* a line the reader refuses (a field over the size limit, text after a closing quote, a
  quote still open at the end of the file) is rejected, and reading starts afresh at the
  next physical line;
* a record that spans several lines (a quoted field with line breaks) but does not have the
  header's number of fields, or has a multi-line field holding a whole row's worth of
  delimiters (the tail of one row and the head of the next), is taken for a stray quote
  that swallowed the lines after it: its first line is rejected and reading starts afresh
  at the line after that one.

Any other quoted field with line breaks (a note typed with Alt+Enter in Excel) stays part of
one record, as CSV says.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["FIELD_LIMIT", "Record", "records"]

FIELD_LIMIT = csv.field_size_limit()
"""The longest field the reader accepts (131,072 characters); a longer one rejects its row."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record: its first physical line (1-based), its fields or why it cannot be read."""

    line: int
    values: list[str]
    problem: str | None = None


def _reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"has a field longer than {FIELD_LIMIT:,} characters"
    if "unexpected end of data" in text:
        return "has a quote that never closes"
    return f"is not valid CSV ({text})"  # the csv module's messages quote no row content


def _swallowed(values: list[str], width: int, delimiter: str) -> bool:
    """Whether a multi-line record looks like a stray quote that took whole rows with it."""
    if len(values) != width:
        return True
    return any(
        value.count(delimiter) >= width - 1 for value in values if "\n" in value or "\r" in value
    )


def _lines(physical: list[str], start: int) -> Iterator[str]:
    for index in range(start, len(physical)):
        yield physical[index]


def records(text: str, delimiter: str, width: int | None = None) -> Iterator[Record]:
    """Every record of ``text`` in order; ``width`` is the header's number of fields (the
    first record is the header itself when it is ``None``)."""
    physical = io.StringIO(text, newline="").readlines()
    start = 0  # index of the physical line the current reader started at
    while start < len(physical):
        reader = csv.reader(_lines(physical, start), delimiter=delimiter, strict=True)
        done = 0  # physical lines this reader consumed before the current record
        restart = None
        while True:
            first = start + done
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(first + 1, [], _reason(exc))
                restart = first + 1
                break
            spans = reader.line_num - done
            done = reader.line_num
            if spans > 1 and width is not None and _swallowed(values, width, delimiter):
                yield Record(
                    first + 1,
                    [],
                    f"has a quote that never closes (it runs over {spans} lines, taking other "
                    "rows with it); only this line is rejected",
                )
                restart = first + 1
                break
            if width is None:
                width = len(values)
            yield Record(first + 1, values)
        start = restart
