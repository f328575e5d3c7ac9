"""Reading partner exports: CSV (any delimiter, UTF-8 with or without BOM, Windows-1252) or
JSON Lines, one :class:`RawRow` per record.

A row that cannot be read as a whole (wrong encoding, missing or extra columns, a broken
quote, a field over the size limit, broken or too deeply nested JSON, a number too long to
read, a lone surrogate) comes back with ``problem`` set instead of raising, so one bad row
never stops an export. What is wrong with the file as a whole — no header, a header without
the columns the mapping reads, a UTF-16 file — raises :class:`ExportRefusedError` before any row is
used. Problems never quote the row's content: it may hold personal data.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from connectors._csvrecords import Record, records
from connectors.errors import ConnectorError, ExportRefusedError

__all__ = ["FileFormat", "RawRow", "read_rows"]

Encoding = Literal["utf-8", "windows-1252"]
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate from a JSON \\ud800 escape
_DELIMITERS = (";", ",", "\t", "|")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # also the start of UTF-32 BOMs
_SHOWN = 5


@dataclass(frozen=True, slots=True)
class FileFormat:
    """How an export file is laid out."""

    format: Literal["csv", "jsonl"] = "csv"
    encoding: Encoding = "utf-8"
    delimiter: str = "auto"
    """A single character, or ``auto`` to detect it from the header line."""


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record of an export: its first line number (header = line 1) and its fields."""

    line: int
    fields: dict[str, str]
    problem: str | None = None
    field: str = "<row>"


def _decode(raw: bytes, encoding: Encoding) -> str:
    if encoding == "utf-8":
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        return raw.decode("utf-8", errors="surrogateescape")
    return raw.decode("cp1252", errors="surrogateescape")


def _encoding_problem(text: str, encoding: Encoding) -> str | None:
    if _UNDECODABLE.search(text):
        if encoding == "utf-8":
            return "bytes are not valid UTF-8: the export mixes encodings; re-export as UTF-8"
        return "bytes undefined in Windows-1252: the export mixes encodings"
    if encoding == "windows-1252" and not text.isascii():
        try:
            as_utf8 = text.encode("cp1252").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            return None
        if not as_utf8.isascii():
            return "UTF-8 bytes in a Windows-1252 export (mojibake): the export mixes encodings"
    return None


def _check_text(path: Path, data: bytes, encoding: Encoding) -> None:
    first_line = data.split(b"\n", 1)[0][:4096]
    halves = (first_line[0::2], first_line[1::2])
    if data.startswith(_UTF16_BOMS) or any(
        len(half) >= 2 and half.count(0) >= 0.8 * len(half) for half in halves
    ):
        raise ExportRefusedError(
            f"{path}: the export looks like UTF-16 (a UTF-16 byte order mark or NUL bytes "
            f"between the characters of its first line); save it as {encoding} and run it again"
        )
    if b"\x00" in first_line:
        raise ExportRefusedError(
            f"{path}: the header line holds NUL bytes: not a text export (a binary or "
            "compressed file?); export it as CSV or JSON Lines"
        )


def _delimiter(path: Path, header: str, configured: str) -> str:
    if configured != "auto":
        return configured
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ExportRefusedError(
            f"{path}: cannot detect the delimiter from the header line; set [file] delimiter"
        )
    return best


def _listed(names: Iterable[str]) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _check_header(
    path: Path, names: list[str], first_line: str, delimiter: str, required: frozenset[str]
) -> None:
    twice = {n for n in names if names.count(n) > 1}
    if twice:
        raise ExportRefusedError(f"{path}: the header names column(s) {_listed(twice)} twice")
    missing = required - set(names)
    if not missing:
        return
    hint = "; is this the right mapping for this export?"
    others = [d for d in _DELIMITERS if d != delimiter and d in first_line]
    if delimiter not in first_line and others:
        hint = (
            f"; its header has no {delimiter!r} between columns but {others[0]!r}: "
            "saved with another delimiter? Re-export, or set [file] delimiter"
        )
    raise ExportRefusedError(
        f"{path}: the header lacks column(s) {_listed(missing)} that the mapping reads{hint}"
    )


def _csv_rows(path: Path, text: str, fmt: FileFormat, required: frozenset[str]) -> Iterator[RawRow]:
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ExportRefusedError(f"{path}: no header line; an export starts with its column names")
    delimiter = _delimiter(path, first_line, fmt.delimiter)
    found = records(text, delimiter)
    header = next(found, None)
    if header is None or header.problem or not any(h.strip() for h in header.values):
        raise ExportRefusedError(
            f"{path}: no readable header line; an export starts with its columns"
        )
    if _encoding_problem("".join(header.values), fmt.encoding):
        raise ExportRefusedError(
            f"{path}: the header line is not {fmt.encoding}; set [file] encoding"
        )
    names = [h.strip() for h in header.values]
    _check_header(path, names, first_line, delimiter, required)
    return _csv_body(found, names, fmt.encoding)


def _csv_body(found: Iterator[Record], names: list[str], encoding: Encoding) -> Iterator[RawRow]:
    for record in found:
        values = record.values
        if record.problem is not None:
            yield RawRow(record.line, {}, record.problem)
            continue
        if not values or all(not v.strip() for v in values):
            continue  # blank line
        problem = _encoding_problem("".join(values), encoding)
        if problem is None and len(values) != len(names):
            problem = f"has {len(values)} columns, the header has {len(names)}"
        if problem is not None:
            yield RawRow(record.line, {}, problem)
            continue
        yield RawRow(record.line, dict(zip(names, values, strict=True)))


def _json_fields(document: dict[str, Any]) -> dict[str, str] | str:
    fields: dict[str, str] = {}
    for key, value in document.items():
        text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
        if _SURROGATE.search(key) or _SURROGATE.search(text):
            return "holds a lone surrogate (an invalid \\u escape); re-export as valid UTF-8"
        fields[key] = text
    return fields


def _jsonl_rows(text: str, fmt: FileFormat) -> Iterator[RawRow]:
    for number, raw_line in enumerate(text.split("\n"), start=1):  # JSON Lines: \n only
        if not raw_line.strip():
            continue
        problem = _encoding_problem(raw_line, fmt.encoding)
        if problem is not None:
            yield RawRow(number, {}, problem)
            continue
        try:
            document = json.loads(raw_line)
        except json.JSONDecodeError as exc:
            yield RawRow(number, {}, f"is not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except RecursionError:
            yield RawRow(number, {}, "is JSON nested too deeply to read")
            continue
        except ValueError:  # a number of more than 4,300 digits
            yield RawRow(number, {}, "holds a JSON number too long to read")
            continue
        if not isinstance(document, dict):
            yield RawRow(number, {}, "is not a JSON object")
            continue
        try:
            fields = _json_fields(document)
        except (RecursionError, ValueError):
            fields = "holds a JSON value too deeply nested or too long to use"
        if isinstance(fields, str):
            yield RawRow(number, {}, fields)
            continue
        yield RawRow(number, fields)


def read_rows(
    path: Path, fmt: FileFormat, *, required: frozenset[str] = frozenset()
) -> Iterator[RawRow]:
    """Every record of the export at ``path``, in file order.

    ``required`` are the columns the mapping reads: a CSV header without one of them refuses
    the export (:class:`ExportRefusedError`) before any row is read.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read the export ({exc.strerror})") from None
    if not data.strip():
        raise ExportRefusedError(f"{path}: the export is empty (not even a header line)")
    _check_text(path, data, fmt.encoding)
    text = _decode(data, fmt.encoding)
    if fmt.format == "jsonl":
        return _jsonl_rows(text, fmt)
    return _csv_rows(path, text, fmt, required)
