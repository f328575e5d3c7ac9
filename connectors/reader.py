"""Reading partner exports: CSV (any delimiter, UTF-8 with or without BOM, Windows-1252) or
JSON Lines, one :class:`RawRow` per record, streaming.

A row that cannot be read as a whole (wrong encoding, missing or extra columns, broken JSON)
comes back with ``problem`` set instead of raising, so one bad row never stops an export.
Problems never quote the row's content: it may hold personal data.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from connectors.errors import ConnectorError

__all__ = ["FileFormat", "RawRow", "read_rows"]

Encoding = Literal["utf-8", "windows-1252"]
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by errors="surrogateescape"


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


def _delimiter(path: Path, header: str, configured: str) -> str:
    if configured != "auto":
        return configured
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        raise ConnectorError(
            f"{path}: cannot detect the delimiter from the header line; set [file] delimiter"
        )
    return best


def _csv_rows(path: Path, text: str, fmt: FileFormat) -> Iterator[RawRow]:
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise ConnectorError(f"{path}: no header line; an export starts with its column names")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(path, first_line, fmt.delimiter)
    )
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ConnectorError(f"{path}: no header line; an export starts with its column names")
    if _encoding_problem("".join(header), fmt.encoding):
        raise ConnectorError(f"{path}: the header line is not {fmt.encoding}; set [file] encoding")
    names = [h.strip() for h in header]
    line = reader.line_num + 1
    for values in reader:
        start, line = line, reader.line_num + 1
        if not values or all(not v.strip() for v in values):
            continue  # blank line
        problem = _encoding_problem("".join(values), fmt.encoding)
        if problem is None and len(values) != len(names):
            problem = f"has {len(values)} columns, the header has {len(names)}"
        if problem is not None:
            yield RawRow(start, {}, problem)
            continue
        yield RawRow(start, dict(zip(names, values, strict=True)))


def _jsonl_rows(text: str, fmt: FileFormat) -> Iterator[RawRow]:
    for number, raw_line in enumerate(text.splitlines(), start=1):
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
        if not isinstance(document, dict):
            yield RawRow(number, {}, "is not a JSON object")
            continue
        fields = {
            str(k): v if isinstance(v, str) else ("" if v is None else json.dumps(v))
            for k, v in document.items()
        }
        yield RawRow(number, fields)


def read_rows(path: Path, fmt: FileFormat) -> Iterator[RawRow]:
    """Every record of the export at ``path``, in file order."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConnectorError(f"{path}: cannot read the export ({exc.strerror})") from None
    text = _decode(data, fmt.encoding)
    if fmt.format == "jsonl":
        return _jsonl_rows(text, fmt)
    return _csv_rows(path, text, fmt)
