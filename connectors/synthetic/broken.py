"""Whole exports broken the way careless hands break them, for the connectors' tests.

Each kind turns a good generated export into a broken one: saved with another delimiter, as
UTF-16 (with or without byte order mark), header only, empty, with a column renamed, with a
typo (2062) in the export date of every row, with every date in another format, cut off
after 30 % of its rows, another partner's export, random bytes — and one with a single year
typo (2062) in one row's date. ``refused`` says what the connector must do: refuse the export
as a whole (exit 1, nothing published, no state changed), or, for the one-row typo, reject
that row and keep its previous event standing. A kind that does not apply to a layout (a
delimiter for JSON Lines) gives ``None``. Rows are edited in place; every other line,
the generator's bad rows included, keeps its bytes and its line number.

:func:`corrupt` damages the bytes of an export at random (:data:`CORRUPTIONS`: flipped
bytes, stray quotes, lost or doubled line breaks, NUL bytes, a cut at a random byte, a huge
line, byte order marks and carriage returns in odd places, shuffled lines); what the
connector must do with such a file is not known in advance, only that it never fails with a
traceback, publishes nothing invalid, and changes no state when it refuses.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from connectors.synthetic.exports import EXPORTS, ExportLayout

__all__ = ["BROKEN_EXPORTS", "CORRUPTIONS", "BrokenExport", "Export", "corrupt", "one_date_typo"]

_YEAR = re.compile(r"20[0-9]{2}")


@dataclass(frozen=True, slots=True)
class Export:
    """An export as lines of text (header first for CSV), decoded without losing a byte."""

    layout: ExportLayout
    name: str
    lines: tuple[str, ...]

    @classmethod
    def of(cls, layout: ExportLayout, name: str, data: bytes) -> Export:
        """Split ``data``, an export of ``layout`` named ``name``, into its lines."""
        text = data.decode(_codec(layout), errors="surrogateescape")
        newline = layout.newline if layout.format == "csv" else "\n"
        return cls(layout, name, tuple(text.split(newline)[:-1]))

    @property
    def header(self) -> tuple[str, ...]:
        return self.lines[:1] if self.layout.format == "csv" else ()

    @property
    def body(self) -> tuple[str, ...]:
        return self.lines[len(self.header) :]

    def to_bytes(self, codec: str | None = None, delimiter: str | None = None) -> bytes:
        """The export as bytes, in ``codec`` (default the layout's)."""
        newline = self.layout.newline if self.layout.format == "csv" else "\n"
        text = "".join(line + newline for line in self.lines)
        if delimiter is not None:
            text = text.replace(self.layout.delimiter, delimiter)
        errors = "surrogateescape" if codec is None else "replace"
        return text.encode(codec or _codec(self.layout), errors=errors)

    def edit(self, column: str, change: Callable[[str], str], only: int | None = None) -> Export:
        """Each body row (or only body row ``only``) with ``change`` applied to ``column``."""
        body = list(self.body)
        for index in range(len(body)) if only is None else (only,):
            body[index] = self._edit_line(body[index], column, change)
        return replace(self, lines=(*self.header, *body))

    def _edit_line(self, line: str, column: str, change: Callable[[str], str]) -> str:
        if self.layout.format == "jsonl":
            try:
                document = json.loads(line)
            except ValueError:
                return line  # one of the generator's bad rows: left as it is
            if isinstance(document, dict) and isinstance(document.get(column), str):
                document[column] = change(document[column])
            return json.dumps(document, ensure_ascii=False)
        cells = line.split(self.layout.delimiter)  # generated rows hold no quoted delimiter
        index = self.layout.columns.index(column)
        if index < len(cells):
            cells[index] = change(cells[index])
        return self.layout.delimiter.join(cells)


Make = Callable[[Export, random.Random], tuple[str, bytes] | None]


@dataclass(frozen=True, slots=True)
class BrokenExport:
    """A way to break an export, and whether the connector must refuse it as a whole."""

    name: str
    make: Make
    refused: bool = True
    refused_delta: bool = True
    """For a delta export (the consent register), where a short or empty export is fine."""


def _codec(layout: ExportLayout) -> str:
    return {"windows-1252": "cp1252", "utf-8-sig": "utf-8-sig"}.get(layout.encoding, "utf-8")


def _wrong_delimiter(export: Export, _: random.Random) -> tuple[str, bytes] | None:
    if export.layout.format != "csv":
        return None
    other = next(d for d in (",", ";", "\t") if d != export.layout.delimiter)
    return export.name, export.to_bytes(delimiter=other)


def _utf16(codec: str) -> Make:
    def make(export: Export, _: random.Random) -> tuple[str, bytes]:
        return export.name, export.to_bytes(codec=codec)

    return make


def _header_only(export: Export, _: random.Random) -> tuple[str, bytes] | None:
    if export.layout.format != "csv":
        return None
    return export.name, replace(export, lines=export.header).to_bytes()


def _empty(export: Export, _: random.Random) -> tuple[str, bytes]:
    return export.name, b""


def _column_renamed(export: Export, _: random.Random) -> tuple[str, bytes]:
    column = export.layout.postcode_column
    if export.layout.format == "jsonl":
        renamed = [line.replace(f'"{column}":', f'"{column}_x":') for line in export.lines]
        return export.name, replace(export, lines=tuple(renamed)).to_bytes()
    header = export.header[0].replace(column, column + "_x", 1)
    return export.name, replace(export, lines=(header, *export.body)).to_bytes()


def _as_of_typo(export: Export, _: random.Random) -> tuple[str, bytes]:
    column = next((c for c in export.layout.columns if c.lower() == "peildatum"), None)
    if column is None:  # the export date is in the file name
        return re.sub(r"[0-9]{4}-([0-9]{2})\.", r"2062-\1.", export.name), export.to_bytes()
    return export.name, export.edit(column, lambda v: _YEAR.sub("2062", v)).to_bytes()


def _dates_reformatted(export: Export, _: random.Random) -> tuple[str, bytes]:
    column = export.layout.date_column
    return export.name, export.edit(column, lambda v: v.replace("-", "/") + "/").to_bytes()


def _truncated(export: Export, _: random.Random) -> tuple[str, bytes]:
    body = export.body[: len(export.body) * 3 // 10]
    return export.name, replace(export, lines=(*export.header, *body)).to_bytes()


def _other_partner(export: Export, _: random.Random) -> tuple[str, bytes]:
    other = next(x for x in EXPORTS if x.partner != export.layout.partner and x.format == "csv")
    row = other.delimiter.join(f"{c[:3]}{n}" for n, c in enumerate(other.columns))
    lines = (other.delimiter.join(other.columns), *([row] * 50))
    return export.name, Export(other, export.name, lines).to_bytes()


def _random_bytes(export: Export, rng: random.Random) -> tuple[str, bytes]:
    return export.name, bytes(rng.randrange(256) for _ in range(20_000))


def one_date_typo(export: Export, rng: random.Random, row: int | None = None) -> tuple[str, bytes]:
    """A 2062 typo in the date column of body row ``row`` (default: one at random)."""
    index = rng.randrange(len(export.body)) if row is None else row
    column = export.layout.date_column
    return export.name, export.edit(column, lambda v: _YEAR.sub("2062", v), only=index).to_bytes()


BROKEN_EXPORTS: tuple[BrokenExport, ...] = (
    BrokenExport("wrong_delimiter", _wrong_delimiter),
    BrokenExport("utf16", _utf16("utf-16")),
    BrokenExport("utf16_without_bom", _utf16("utf-16-le")),
    BrokenExport("header_only", _header_only, refused_delta=False),
    BrokenExport("empty_file", _empty),
    BrokenExport("column_renamed", _column_renamed),
    BrokenExport("export_date_typo_2062", _as_of_typo),
    BrokenExport("every_date_reformatted", _dates_reformatted),
    BrokenExport("truncated_to_30_percent", _truncated, refused_delta=False),
    BrokenExport("another_partners_export", _other_partner),
    BrokenExport("random_bytes", _random_bytes),
    BrokenExport("one_date_typo_2062", one_date_typo, refused=False, refused_delta=False),
)
"""Every kind, by name."""


def _flip(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)


def _insert(what: bytes) -> Callable[[bytearray, random.Random], None]:
    def damage(data: bytearray, rng: random.Random) -> None:
        for _ in range(rng.randint(1, 30)):
            at = rng.randrange(len(data) + 1)
            data[at:at] = what

    return damage


def _lose_newlines(data: bytearray, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 20)):
        at = data.find(b"\n", rng.randrange(len(data)))
        if at >= 0:
            del data[at]


def _cut(data: bytearray, rng: random.Random) -> None:
    del data[rng.randrange(len(data) // 2, len(data)) :]


def _huge_line(data: bytearray, rng: random.Random) -> None:
    at = data.find(b"\n", rng.randrange(len(data))) + 1
    data[at:at] = b"x" * rng.randint(131_073, 400_000) + b"\n"


def _shuffle(data: bytearray, rng: random.Random) -> None:
    lines = bytes(data).split(b"\n")
    rng.shuffle(lines)
    data[:] = b"\n".join(lines)


CORRUPTIONS: dict[str, Callable[[bytearray, random.Random], None]] = {
    "flipped_bytes": _flip,
    "stray_quotes": _insert(b'"'),
    "nul_bytes": _insert(b"\x00"),
    "lost_line_breaks": _lose_newlines,
    "doubled_line_breaks": _insert(b"\n\n"),
    "carriage_returns": _insert(b"\r"),
    "byte_order_marks": _insert(b"\xef\xbb\xbf"),
    "cut_at_a_random_byte": _cut,
    "huge_line": _huge_line,
    "shuffled_lines": _shuffle,
}


def corrupt(data: bytes, rng: random.Random, kinds: int = 2) -> tuple[str, bytes]:
    """``data`` damaged by ``kinds`` corruptions chosen at random; (their names, bytes)."""
    damaged = bytearray(data or b"\n")
    names = rng.sample(sorted(CORRUPTIONS), kinds)
    for name in names:
        CORRUPTIONS[name](damaged, rng)
    return "+".join(names), bytes(damaged)
