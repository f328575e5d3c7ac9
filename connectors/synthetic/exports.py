"""The four synthetic export layouts and their rows, as the partners' systems would write them.

Each layout matches a sample mapping under ``connectors/<partner>/``. Rows come with their
ground truth: the canonical identifier, the row's key, and the contract-level facts the
connector should publish (computed here independently of the connector's own code).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from connectors.synthetic.population import Household

__all__ = ["EXPORTS", "ExportLayout", "Row", "arrears_band"]

Row = tuple[dict[str, str], dict[str, Any]]
"""The export's values by column, and the row's ground truth."""

_ABSENCE = {
    "ongeoorloofd-16u": "unauthorised_16h_4w",
    "relatief-lang": "long_term_relative",
    "luxe": "luxury",
    "signaal": "signal",
    "absoluut": "absolute",
    "vsv": "early_school_leaving",
}
_WORK = {
    "plaatsing_aangeboden": "placement_offered",
    "plaatsing_gestart": "placement_started",
    "plaatsing_beeindigd": "placement_ended",
    "uitkering_gestart": "benefit_started",
    "uitkering_beeindigd": "benefit_ended",
}
_CONSENT = {"gegeven": "given", "geweigerd": "refused", "ingetrokken": "withdrawn"}


def arrears_band(months: float) -> str:
    """The contract's band for a number of months (the generator's own reading of it)."""
    for limit, band in ((1, "under_one_month"), (2, "one_month"), (3, "two_months")):
        if months < limit:
            return band
    return "three_to_five_months" if months < 6 else "six_months_or_more"


@dataclass(frozen=True, slots=True)
class ExportLayout:
    """One partner export: file name, mapping, layout, and where each fault kind strikes."""

    stem: str
    partner: str
    mapping: str
    format: Literal["csv", "jsonl"]
    encoding: Literal["windows-1252", "utf-8", "utf-8-sig"]
    delimiter: str
    newline: str
    columns: tuple[str, ...]
    rows: Callable[[list[Household], date, random.Random], list[Row]]
    date_column: str
    bad_dates: tuple[str, ...]
    code_column: str
    bad_codes: tuple[str, ...]
    postcode_column: str
    text_column: str
    text_values: tuple[str, ...] = field(default=())

    def file_name(self, month: date) -> str:
        """E.g. ``corporatie_huurachterstand_2026-01.csv``."""
        return f"{self.stem}_{month:%Y-%m}.{'jsonl' if self.format == 'jsonl' else 'csv'}"


def _addition(rng: random.Random, addition: str) -> str:
    shown = {"3hoog": "3 hoog", "a2": "A-2", "hs": "HS"}.get(addition, addition)
    return shown.upper() if rng.random() < 0.5 else shown


def _corporation(people: list[Household], month: date, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for hh in people:
        if hh.arrears is None or hh.contract is None:
            continue
        a = hh.arrears
        values = {
            "Peildatum": f"{month:%d-%m-%Y}",
            "Contractnummer": hh.contract,
            "Straat": hh.street,
            "Huisnummer": str(hh.house_number),
            "Toevoeging": _addition(rng, hh.addition),
            "Postcode": f"{hh.postcode[:4]} {hh.postcode[4:]}",
            "Woonplaats": hh.town,
            "Maanden achterstand": f"{a.months:.1f}".replace(".", ","),
            "Achterstand EUR": f"{a.months * 812.5:.2f}".replace(".", ","),
            "Datum eerste achterstand": f"{a.since:%d-%m-%Y}",
            "Ontruimingsprocedure": "J" if a.eviction else "N",
            "CBS buurtcode": hh.buurt,
        }
        facts = {
            "since": a.since.isoformat(),
            "arrears_band": arrears_band(a.months),
            "eviction_risk": a.eviction,
            "buurt_code": hh.buurt,
        }
        rows.append((values, {"id": hh.canonical, "key": [hh.contract], "facts": facts}))
    return rows


def _school(people: list[Household], month: date, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for hh in people:
        for pupil, (kind, since) in hh.absences.items():
            values = {
                "peildatum": month.isoformat(),
                "brin": "07XY",
                "leerlingnummer": pupil,
                "postcode": hh.postcode,
                "huisnummer": str(hh.house_number),
                "huisnummertoevoeging": _addition(rng, hh.addition),
                "verzuimsoort": kind,
                "begindatum": since.isoformat(),
                "school": "Basisschool De Horizon",
            }
            facts = {"since": since.isoformat(), "kind": _ABSENCE[kind], "pupil": pupil}
            rows.append((values, {"id": hh.canonical, "key": [pupil, kind], "facts": facts}))
    return rows


def _werk(people: list[Household], month: date, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for hh in people:
        if hh.work is None or hh.dossier is None:
            continue
        number = str(hh.house_number)
        combined = hh.addition and rng.random() < 0.5
        values = {
            "peildatum": month.isoformat(),
            "dossier": hh.dossier,
            "postcode": f"{hh.postcode[:4]} {hh.postcode[4:].lower()}",
            "huisnummer": f"{number}-{hh.addition}" if combined else number,
            "toevoeging": "" if combined else hh.addition,
            "soort": hh.work.kind,
            "ingangsdatum": f"{hh.work.since:%Y%m%d}",
            "team": "Werkplein Zuid",
        }
        facts = {"since": hh.work.since.isoformat(), "kind": _WORK[hh.work.kind]}
        rows.append((values, {"id": hh.canonical, "key": [hh.dossier], "facts": facts}))
    return rows


def _consent(people: list[Household], month: date, rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for hh in people:
        if hh.consent is None:
            continue
        c = hh.consent
        for status, day in hh.consent_events:
            values = {
                "intake_ref": c.intake_ref,
                "postcode": f"{hh.postcode[:4]} {hh.postcode[4:]}",
                "huisnummer": str(hh.house_number),
                "toevoeging": _addition(rng, hh.addition),
                "status": status,
                "doelen": "vroegsignalering;gezamenlijke_aanpak;terugkoppeling",
                "domeinen": "wonen;school;werk",
                "geldig_vanaf": f"{c.valid_from:%d-%m-%Y}",
                "geldig_tot": f"{c.valid_until:%d-%m-%Y}" if status == "ingetrokken" else "",
                "versie_verklaring": "2026-01",
                "wijze": rng.choice(("schriftelijk", "digitaal", "mondeling")),
                "vastgelegd_door": "intaker",
                "registratiedatum": f"{day:%d-%m-%Y}",
                "locatie": "Wijkcentrum Noord",
            }
            facts = {"status": _CONSENT[status], "intake_ref": c.intake_ref}
            rows.append((values, {"id": hh.canonical, "key": [c.intake_ref], "facts": facts}))
    return rows


EXPORTS: tuple[ExportLayout, ...] = (
    ExportLayout(
        stem="corporatie_huurachterstand",
        partner="corporation",
        mapping="corporation/huurachterstand.toml",
        format="csv",
        encoding="windows-1252",
        delimiter=";",
        newline="\r\n",
        columns=(
            "Peildatum",
            "Contractnummer",
            "Straat",
            "Huisnummer",
            "Toevoeging",
            "Postcode",
            "Woonplaats",
            "Maanden achterstand",
            "Achterstand EUR",
            "Datum eerste achterstand",
            "Ontruimingsprocedure",
            "CBS buurtcode",
        ),
        rows=_corporation,
        date_column="Datum eerste achterstand",
        bad_dates=("31-02-2026", "2026-01-15", "15-13-2025", "onbekend"),
        code_column="Ontruimingsprocedure",
        bad_codes=("?", "X", "misschien"),
        postcode_column="Postcode",
        text_column="Straat",
        text_values=("Coëhoornstraat", "Crèchepad"),
    ),
    ExportLayout(
        stem="school_verzuim",
        partner="school",
        mapping="school/verzuim.toml",
        format="csv",
        encoding="utf-8-sig",
        delimiter=",",
        newline="\n",
        columns=(
            "peildatum",
            "brin",
            "leerlingnummer",
            "postcode",
            "huisnummer",
            "huisnummertoevoeging",
            "verzuimsoort",
            "begindatum",
            "school",
        ),
        rows=_school,
        date_column="begindatum",
        bad_dates=("2026-02-30", "15-01-2026", "2026/01/15"),
        code_column="verzuimsoort",
        bad_codes=("overig", "ziek", "16u"),
        postcode_column="postcode",
        text_column="school",
        text_values=("Basisschool De Zeeën", "Daltonschool Oosterbroek-Noordé"),
    ),
    ExportLayout(
        stem="gemeente_werk",
        partner="gemeente",
        mapping="gemeente/werk.toml",
        format="jsonl",
        encoding="utf-8",
        delimiter="",
        newline="\n",
        columns=(
            "peildatum",
            "dossier",
            "postcode",
            "huisnummer",
            "toevoeging",
            "soort",
            "ingangsdatum",
            "team",
        ),
        rows=_werk,
        date_column="ingangsdatum",
        bad_dates=("20261301", "2026-01-15", "20260230"),
        code_column="soort",
        bad_codes=("re-integratie", "onbekend"),
        postcode_column="postcode",
        text_column="team",
        text_values=("Werkplein Zuidoost — Coöperatie", "Team Crèche"),
    ),
    ExportLayout(
        stem="gemeente_toestemming",
        partner="gemeente",
        mapping="gemeente/toestemming.toml",
        format="csv",
        encoding="utf-8",
        delimiter="|",
        newline="\n",
        columns=(
            "intake_ref",
            "postcode",
            "huisnummer",
            "toevoeging",
            "status",
            "doelen",
            "domeinen",
            "geldig_vanaf",
            "geldig_tot",
            "versie_verklaring",
            "wijze",
            "vastgelegd_door",
            "registratiedatum",
            "locatie",
        ),
        rows=_consent,
        date_column="geldig_vanaf",
        bad_dates=("30-02-2026", "2026-01-15", "00-00-0000"),
        code_column="status",
        bad_codes=("onbekend", "misschien"),
        postcode_column="postcode",
        text_column="locatie",
        text_values=("Wijkcentrum De Brée", "Stadswinkel Zuidërpark"),
    ),
)
"""Every export the generator writes, each month."""
