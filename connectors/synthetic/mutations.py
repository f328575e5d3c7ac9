"""Rows with one known fault each, many kinds, for the connectors' fuzz tests.

Where :mod:`connectors.synthetic.faults` mixes a few percent of the six kinds of bad row real
exports have into every generated export, this module makes as many bad rows as a test asks
for, of every kind a careless or hostile export can hold: dates of year 1, 9999 or 2062, an
impossible date, unknown or over-long codes, bad postcodes, a 5,000-digit house number, an
empty row key, a quote that never closes, a field over the CSV size limit, bytes of another
encoding, a missing or an extra column, a row naming another export date, and for JSON Lines
a 5,000-digit number, nesting 100,000 deep, a lone surrogate, a non-object and broken syntax.

Each row is an *outsider*'s (postcode 9000-9999, see :func:`faults.outsider`), so it never
touches the population's rows, and comes with the field the connector must name in its
rejects file (``<row>`` when the row cannot be read as a whole).
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from connectors.mapping import MappingSpec, load_mapping
from connectors.synthetic.exports import ExportLayout
from connectors.synthetic.faults import Line, outsider
from connectors.synthetic.generate import encode_line

__all__ = ["MUTATIONS", "Mutant", "mutants"]

ROW = "<row>"
_PACKAGE = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Mutant:
    """One bad record (bytes, newline included), its kind and the field the connector names."""

    data: bytes
    kind: str
    field: str


@dataclass(frozen=True, slots=True)
class _Base:
    layout: ExportLayout
    spec: MappingSpec
    values: dict[str, str]
    rng: random.Random

    def encode(self, values: dict[str, str], *, missing: str | None = None) -> bytes:
        return encode_line(self.layout, Line(values, missing=missing))

    def column_of(self, field: str) -> str:
        spec = self.spec.fields[field]
        return spec.column or field

    def date_text(self, column: str, day: tuple[int, int, int]) -> str:
        field = next(
            (f for f in self.spec.fields.values() if f.column == column),
            None,
        )
        formats = (field.formats if field else ()) or self.spec.file.date_formats
        if column == self.spec.source.as_of_column:
            formats = self.spec.source.as_of_formats
        year, month, dom = day
        return (
            formats[0]
            .replace("%Y", f"{year:04d}")
            .replace("%m", f"{month:02d}")
            .replace("%d", f"{dom:02d}")
        )


Mutation = Callable[[_Base], tuple[bytes, str] | None]


def _set(base: _Base, column: str, value: str) -> tuple[bytes, str]:
    return base.encode({**base.values, column: value}), column


def _date(day: tuple[int, int, int]) -> Mutation:
    def mutate(base: _Base) -> tuple[bytes, str]:
        column = base.layout.date_column
        return _set(base, column, base.date_text(column, day))

    return mutate


def _letters(rng: random.Random, low: int, high: int) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(low, high)))


def _code_unknown(base: _Base) -> tuple[bytes, str]:
    return _set(base, base.layout.code_column, "x" + _letters(base.rng, 8, 20))


def _code_control(base: _Base) -> tuple[bytes, str]:
    column = base.layout.code_column
    return _set(base, column, base.values[column] + base.rng.choice("\x00\x07\x1b\x7f"))


def _code_too_long(base: _Base) -> tuple[bytes, str]:
    return _set(base, base.layout.code_column, "a" * base.rng.randint(1100, 5000))


def _postcode(values: tuple[str, ...]) -> Mutation:
    def mutate(base: _Base) -> tuple[bytes, str]:
        return _set(base, base.layout.postcode_column, base.rng.choice(values))

    return mutate


def _house_number(values: tuple[str, ...]) -> Mutation:
    def mutate(base: _Base) -> tuple[bytes, str]:
        return _set(base, base.spec.identity.house_number, base.rng.choice(values))

    return mutate


def _key_empty(base: _Base) -> tuple[bytes, str]:
    return _set(base, base.spec.row_key.columns[0], "")


def _as_of_differs(base: _Base) -> tuple[bytes, str] | None:
    column = base.spec.source.as_of_column
    if column is None:
        return None
    return _set(base, column, base.date_text(column, (2019, 6, 15)))


def _missing_cell(base: _Base) -> tuple[bytes, str]:
    if base.layout.format == "jsonl":
        column = base.layout.code_column
        return base.encode(base.values, missing=column), column
    return base.encode(base.values, missing=base.layout.columns[-1]), ROW


def _csv_only(mutate: Callable[[_Base], tuple[bytes, str]]) -> Mutation:
    def only(base: _Base) -> tuple[bytes, str] | None:
        return mutate(base) if base.layout.format == "csv" else None

    return only


def _jsonl_only(mutate: Callable[[_Base], tuple[bytes, str]]) -> Mutation:
    def only(base: _Base) -> tuple[bytes, str] | None:
        return mutate(base) if base.layout.format == "jsonl" else None

    return only


def _utf8_only(mutate: Mutation) -> Mutation:
    def only(base: _Base) -> tuple[bytes, str] | None:
        return mutate(base) if base.layout.encoding != "windows-1252" else None

    return only


def _extra_cell(base: _Base) -> tuple[bytes, str]:
    line = base.encode(base.values).rstrip(b"\r\n")
    return line + base.layout.delimiter.encode() + b"extra" + base.layout.newline.encode(), ROW


def _unclosed_quote(base: _Base) -> tuple[bytes, str]:
    index = base.rng.randrange(len(base.layout.columns))
    cells = [base.values[c] for c in base.layout.columns]
    cells[index] = '"' + cells[index]  # a quote that opens a field and never closes
    line = base.layout.delimiter.join(cells) + base.layout.newline
    return line.encode("cp1252" if base.layout.encoding == "windows-1252" else "utf-8"), ROW


def _huge_field(base: _Base) -> tuple[bytes, str]:
    column = base.rng.choice(base.layout.columns)
    return _set(base, column, "x" * base.rng.randint(131_073, 200_000))[0], ROW


def _other_encoding(base: _Base) -> tuple[bytes, str]:
    column = base.layout.postcode_column
    data = base.encode(base.values)
    cell = base.values[column].encode()
    bad = b"\xff\xfe" if base.layout.encoding != "windows-1252" else b"\x81\x8d"
    return data.replace(cell, cell + bad, 1), ROW


def _json_line(base: _Base, text: str) -> bytes:
    return text.encode() + b"\n"


def _json_big_number(base: _Base) -> tuple[bytes, str]:
    values: dict[str, object] = dict(base.values)
    values[base.spec.identity.house_number] = 0  # replaced by 5,000 digits below
    text = json.dumps(values).replace(": 0", ": " + "9" * 5000, 1)
    return _json_line(base, text), ROW


def _json_deep(base: _Base) -> tuple[bytes, str]:
    depth = 100_000
    nested = "[" * depth + "]" * depth
    text = json.dumps(base.values)[:-1] + f', "nested": {nested}}}'
    return _json_line(base, text), ROW


def _json_surrogate(base: _Base) -> tuple[bytes, str]:
    column = base.spec.row_key.columns[0]
    text = json.dumps({**base.values, column: "KEY"}).replace('"KEY"', '"W-\\ud800x"')
    return _json_line(base, text), ROW


def _json_not_object(base: _Base) -> tuple[bytes, str]:
    return _json_line(base, json.dumps(list(base.values.values()))), ROW


def _json_broken(base: _Base) -> tuple[bytes, str]:
    text = json.dumps(base.values)
    return _json_line(base, text[: base.rng.randint(1, len(text) - 1)]), ROW


def _json_bool_house_number(base: _Base) -> tuple[bytes, str]:
    column = base.spec.identity.house_number
    text = json.dumps({**base.values, column: True})
    return _json_line(base, text), column


MUTATIONS: dict[str, Mutation] = {
    "date_year_1": _date((1, 1, 1)),
    "date_year_9999": _date((9999, 12, 31)),
    "date_typo_2062": _date((2062, 1, 15)),
    "date_impossible": _date((2025, 2, 31)),
    "code_unknown": _code_unknown,
    "code_control_char": _code_control,
    "code_too_long": _code_too_long,
    "postcode_bad": _postcode(("123 AB", "12345AB", "0123 AB", "AB 1234", "1234 SS", "x")),
    "postcode_empty": _postcode(("", "   ")),
    "house_number_5000_digits": _house_number(("1" * 5000,)),
    "house_number_bad": _house_number(("0", "-3", "abc", "100000", "99999999")),
    # Arabic-Indic and full-width digits: str.isdigit() says yes, the identity says no
    "house_number_unicode_digits": _utf8_only(
        _house_number(("\u0661\u0662", "\uff11\uff12", "\u0663"))
    ),
    "row_key_empty": _key_empty,
    "as_of_differs": _as_of_differs,
    "missing_column": _missing_cell,
    "extra_column": _csv_only(_extra_cell),
    "unclosed_quote": _csv_only(_unclosed_quote),
    "field_over_csv_limit": _csv_only(_huge_field),
    "other_encoding": _other_encoding,
    "json_number_5000_digits": _jsonl_only(_json_big_number),
    "json_nested_100000_deep": _jsonl_only(_json_deep),
    "json_lone_surrogate_in_key": _jsonl_only(_json_surrogate),
    "json_not_an_object": _jsonl_only(_json_not_object),
    "json_broken": _jsonl_only(_json_broken),
    "json_boolean_house_number": _jsonl_only(_json_bool_house_number),
}
"""Every mutation by kind; a mutation that does not apply to a layout returns ``None``."""


@cache
def _spec(mapping: str) -> MappingSpec:
    return load_mapping(_PACKAGE / mapping)


def mutants(layout: ExportLayout, month: date, rng: random.Random, count: int) -> list[Mutant]:
    """``count`` bad records for ``layout``, the kinds in turn (those that apply)."""
    spec = _spec(layout.mapping)
    kinds = [k for k in MUTATIONS if MUTATIONS[k](_base(layout, spec, month, rng, 0)) is not None]
    out: list[Mutant] = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        made = MUTATIONS[kind](_base(layout, spec, month, rng, n))
        assert made is not None  # noqa: S101 - the kinds were filtered above
        out.append(Mutant(made[0], kind, made[1]))
    return out


def _base(
    layout: ExportLayout, spec: MappingSpec, month: date, rng: random.Random, n: int
) -> _Base:
    values = layout.rows([outsider(rng, 50_000 + n, month)], month, rng)[0][0]
    return _Base(layout, spec, dict(values), rng)
