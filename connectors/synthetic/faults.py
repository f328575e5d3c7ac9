"""Bad rows of the kinds real exports have, injected into a synthetic export.

Every bad row but a duplicate belongs to an *outsider*: a household outside the population
(postcodes 9000-9999), so the ground truth of the valid rows stays exactly the population's.
Each bad row has exactly one fault, and the truth records its kind and the column the
connector must name in its rejects file.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from connectors.synthetic.exports import ExportLayout, Row
from connectors.synthetic.population import Arrears, Consent, Household, Work, random_postcode

__all__ = ["FAULT_KINDS", "Line", "inject", "outsider"]

FAULT_KINDS = (
    "missing_column",
    "bad_date",
    "unknown_code",
    "wrong_encoding",
    "duplicate",
    "bad_postcode",
)
ROW_FIELD = "<row>"
_BAD_POSTCODES = ("123 AB", "1234 A", "12345AB", "AB 1234", "0123 AB")


@dataclass(slots=True)
class Line:
    """One record of the export: values, and for a bad row its fault and the field at fault."""

    values: dict[str, str]
    truth: dict[str, object] | None = None
    fault: str | None = None
    field: str | None = None
    missing: str | None = None


def outsider(rng: random.Random, number: int, month: date) -> Household:
    """A household outside the population (postcode 9000-9999) with a case at every partner."""
    since = month - timedelta(days=rng.randint(20, 200))
    hh = Household(
        number=900000 + number,
        postcode=random_postcode(rng, 9000, 9999),
        house_number=rng.randint(1, 300),
        addition="",
        street="Buitenweg",
        town="Elders",
        buurt=f"BU{rng.randint(1, 1999):04d}0000",
        stress=1.0,
        contract=f"HC9{number:05d}",
        pupils=[f"9{number:05d}"],
        dossier=f"W-9{number:05d}",
        arrears=Arrears(since, 2.0),
        work=Work("uitkering_gestart", since),
        consent=Consent(f"INT-X-{number:06d}", "gegeven", since),
    )
    hh.absences = {hh.pupils[0]: ("signaal", since)}
    hh.consent_events = [("gegeven", since)]
    return hh


def _fault(layout: ExportLayout, kind: str, rng: random.Random, line: Line) -> None:
    values = line.values
    line.fault, line.field = kind, ROW_FIELD
    if kind == "missing_column":
        if layout.format == "jsonl":
            line.missing = line.field = layout.code_column
        else:
            line.missing = layout.columns[-1]
    elif kind == "bad_date":
        values[layout.date_column] = rng.choice(layout.bad_dates)
        line.field = layout.date_column
    elif kind == "unknown_code":
        values[layout.code_column] = rng.choice(layout.bad_codes)
        line.field = layout.code_column
    elif kind == "bad_postcode":
        values[layout.postcode_column] = rng.choice(_BAD_POSTCODES)
        line.field = layout.postcode_column
    elif kind == "wrong_encoding":
        values[layout.text_column] = rng.choice(layout.text_values)


def inject(
    layout: ExportLayout, rows: list[Row], rng: random.Random, month: date, rate: float
) -> list[Line]:
    """The export's lines: ``rows`` with about ``rate`` bad rows mixed in at random places."""
    lines = [Line(dict(values), truth) for values, truth in rows]
    count = max(1, round(len(rows) * rate))
    offset = rng.randrange(len(FAULT_KINDS))
    for n in range(count):
        kind = FAULT_KINDS[(offset + n) % len(FAULT_KINDS)]
        if kind == "duplicate" and lines:
            original = rng.randrange(len(lines))
            while lines[original].fault is not None:
                original = rng.randrange(len(lines))
            dup = Line(dict(lines[original].values), fault="duplicate", field=ROW_FIELD)
            lines.insert(rng.randint(original + 1, len(lines)), dup)
            continue
        if kind == "duplicate":
            kind = "bad_date"
        values = layout.rows([outsider(rng, n, month)], month, rng)[0][0]
        bad = Line(values)
        _fault(layout, kind, rng, bad)
        lines.insert(rng.randint(0, len(lines)), bad)
    return lines
