"""Mapping files: the samples load against their contracts; mistakes are clear errors;
rows map to minimised, validated facts or to rejects that quote nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest

from connectors.corporation.config import SAMPLE_MAPPING as CORPORATION
from connectors.corporation.mapping import arrears_band
from connectors.errors import MappingError
from connectors.gemeente.config import SAMPLE_CONSENT_MAPPING, SAMPLE_WORK_MAPPING
from connectors.mapping import load_mapping
from connectors.partners import CONNECTORS
from connectors.reader import RawRow
from connectors.rows import MappedRow, Reject, RowMapper
from connectors.school.config import SAMPLE_MAPPING as SCHOOL
from schemas.models import RentArrearsSignal

SECRET = b"s" * 32
AS_OF = date(2026, 2, 1)
ROW = {
    "Peildatum": "01-02-2026",
    "Contractnummer": "HC1",
    "Straat": "Lindelaan",
    "Postcode": "2248 dv",
    "Huisnummer": "12",
    "Toevoeging": "a",
    "Maanden achterstand": "2,5",
    "Achterstand EUR": "2031,25",
    "Datum eerste achterstand": "06-11-2025",
    "Ontruimingsprocedure": "J",
    "CBS buurtcode": "BU07606087",
}


@pytest.mark.parametrize(
    ("partner", "path"),
    [
        ("corporation", CORPORATION),
        ("school", SCHOOL),
        ("gemeente", SAMPLE_WORK_MAPPING),
        ("gemeente", SAMPLE_CONSENT_MAPPING),
    ],
)
def test_sample_mappings_load_against_their_contracts(partner, path):
    source = CONNECTORS[partner].source_class.from_file(path)
    assert source.spec.source.partner == partner


def _mapper():
    spec = load_mapping(CORPORATION, RentArrearsSignal)
    from connectors.corporation.mapping import TRANSFORMS

    return RowMapper(spec, RentArrearsSignal, secret=SECRET, transforms=TRANSFORMS, as_of=AS_OF)


def test_a_row_keeps_only_contract_facts():
    mapped = _mapper().map(RawRow(2, dict(ROW)))
    assert isinstance(mapped, MappedRow)
    assert mapped.facts == {
        "since": "2025-11-06",
        "arrears_band": "two_months",
        "eviction_risk": True,
        "buurt_code": "BU07606087",
    }
    assert mapped.canonical_id == b"adr1|2248DV|12|a"
    assert "2248" not in repr(mapped)  # the identifier stays out of reprs and logs


def test_row_key_is_keyed_and_stable():
    a = _mapper().map(RawRow(2, dict(ROW)))
    b = _mapper().map(RawRow(9, {**ROW, "Postcode": "2248DV", "Toevoeging": "A"}))
    assert isinstance(a, MappedRow)
    assert isinstance(b, MappedRow)
    assert a.row_key == b.row_key
    assert "HC1" not in a.row_key
    other = RowMapper(
        load_mapping(CORPORATION, RentArrearsSignal),
        RentArrearsSignal,
        secret=b"t" * 32,
        transforms={"arrears_band": arrears_band},
        as_of=AS_OF,
    ).map(RawRow(2, dict(ROW)))
    assert isinstance(other, MappedRow)
    assert other.row_key != a.row_key


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"Postcode": "2248 D"}, "Postcode", "not a Dutch postcode"),
        (
            {"Datum eerste achterstand": "31-02-2026"},
            "Datum eerste achterstand",
            "not a valid date",
        ),
        ({"Ontruimingsprocedure": "?"}, "Ontruimingsprocedure", "unknown code"),
        ({"Maanden achterstand": "veel"}, "Maanden achterstand", "not a number"),
        ({"Contractnummer": ""}, "Contractnummer", "row key column"),
        ({"CBS buurtcode": "0760"}, "CBS buurtcode", "pattern"),
    ],
)
def test_bad_values_are_rejected_with_field_and_reason_without_the_value(change, field, reason):
    result = _mapper().map(RawRow(7, {**ROW, **change}))
    assert isinstance(result, Reject)
    assert (result.line, result.field) == (7, field)
    assert reason in result.reason
    for value in change.values():
        if len(value) > 1:
            assert value not in result.reason


def test_an_optional_empty_column_is_left_out():
    mapped = _mapper().map(RawRow(2, {**ROW, "CBS buurtcode": ""}))
    assert isinstance(mapped, MappedRow)
    assert mapped.facts["buurt_code"] is None


def test_months_become_bands():
    assert [arrears_band(m) for m in ("0,5", "1", "2.9", "3", "5,5", "6", "14")] == [
        "under_one_month",
        "one_month",
        "two_months",
        "three_to_five_months",
        "three_to_five_months",
        "six_months_or_more",
        "six_months_or_more",
    ]
    with pytest.raises(ValueError, match="more than 0"):
        arrears_band("0")


def _write(tmp_path, text):
    path = tmp_path / "m.toml"
    path.write_text(CORPORATION.read_text() + text)
    return path


def test_a_field_the_contract_lacks_is_an_error(tmp_path):
    path = _write(tmp_path, '\n[fields.amount_eur]\ncolumn = "Achterstand EUR"\n')
    with pytest.raises(MappingError, match="amount_eur are not fields of RentArrearsSignal"):
        load_mapping(path, RentArrearsSignal)


def test_the_connector_owns_the_envelope_and_the_snapshot_status(tmp_path):
    path = _write(tmp_path, '\n[fields.status]\nconstant = "opened"\n')
    with pytest.raises(MappingError, match="status are filled in by the connector"):
        load_mapping(path, RentArrearsSignal)


def test_a_missing_required_field_is_named(tmp_path):
    text = re.sub(r"\[fields\.since\][^[]*", "", CORPORATION.read_text())
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match="must map since"):
        load_mapping(path, RentArrearsSignal)


def test_bad_toml_and_bad_keys_name_the_file(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text("[source\n")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(path)
    path.write_text(CORPORATION.read_text().replace('kind = "snapshot"', 'kind = "full"'))
    with pytest.raises(MappingError, match=r"source\.kind"):
        load_mapping(path)


def test_wrong_partner_for_the_mapping(tmp_path):
    with pytest.raises(MappingError, match="this connector is 'school'"):
        CONNECTORS["school"].source_class.from_file(CORPORATION)


def test_as_of_formats_default():
    assert load_mapping(SCHOOL).source.as_of_formats == ("%Y-%m-%d",)
    assert date.fromisoformat("2026-01-01")


@pytest.mark.parametrize("day", ["01-01-0001", "31-12-9999", "15-01-2062", "01-01-1990"])
def test_a_date_outside_its_plausible_window_is_rejected(day):
    result = _mapper().map(RawRow(4, {**ROW, "Datum eerste achterstand": day}))
    assert isinstance(result, Reject)
    assert (result.field, result.line) == ("Datum eerste achterstand", 4)
    assert result.reason.startswith("date outside the plausible window 1996-02-01 to 2026-02-01")
    assert day[-4:] not in result.reason  # names the window, not the value


def test_the_window_follows_the_export_date():
    text = "01-03-2026"  # after an export of 1 February, before one of 1 April
    spec = load_mapping(CORPORATION, RentArrearsSignal)
    from connectors.corporation.mapping import TRANSFORMS

    def mapped(as_of):
        mapper = RowMapper(
            spec, RentArrearsSignal, secret=SECRET, transforms=TRANSFORMS, as_of=as_of
        )
        return mapper.map(RawRow(2, {**ROW, "Datum eerste achterstand": text}))

    assert isinstance(mapped(date(2026, 2, 1)), Reject)
    assert isinstance(mapped(date(2026, 4, 1)), MappedRow)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("1" * 5000, "is longer than 1,024 characters"),
        ("1" * 1000, "must be between 1 and 99999"),
        ("\u0661\u0662", "must start with the digits of the house number"),
        ("0", "must be between 1 and 99999"),
    ],
)
def test_a_house_number_that_cannot_be_read_rejects_its_row(number, reason):
    result = _mapper().map(RawRow(3, {**ROW, "Huisnummer": number}))
    assert isinstance(result, Reject)
    assert (result.field, result.reason) == ("Huisnummer", reason)


def test_the_export_date_column_must_name_the_export_date():
    spec = load_mapping(CORPORATION, RentArrearsSignal)
    from connectors.corporation.mapping import TRANSFORMS

    mapper = RowMapper(
        spec, RentArrearsSignal, secret=SECRET, transforms=TRANSFORMS, as_of=AS_OF,
        check_as_of=True,
    )  # fmt: skip
    assert isinstance(mapper.map(RawRow(2, dict(ROW))), MappedRow)
    other = mapper.map(RawRow(3, {**ROW, "Peildatum": "01-01-2026"}))
    assert isinstance(other, Reject)
    assert (other.field, other.reason) == (
        "Peildatum",
        "export date differs from the export's (2026-02-01)",
    )


def test_a_rejected_row_keeps_its_keys_when_they_can_be_derived():
    valid = _mapper().map(RawRow(2, dict(ROW)))
    bad_date = _mapper().map(RawRow(2, {**ROW, "Datum eerste achterstand": "x"}))
    bad_address = _mapper().map(RawRow(2, {**ROW, "Postcode": "x"}))
    no_key = _mapper().map(RawRow(2, {**ROW, "Contractnummer": ""}))
    assert isinstance(valid, MappedRow)
    assert isinstance(bad_date, Reject)
    assert (bad_date.row_key, bad_date.column_key) == (valid.row_key, valid.column_key)
    assert isinstance(bad_address, Reject)
    assert (bad_address.row_key, bad_address.column_key) == (None, valid.column_key)
    assert isinstance(no_key, Reject)
    assert (no_key.row_key, no_key.column_key) == (None, None)


def test_a_delta_digest_covers_the_registration_date():
    from connectors.gemeente.config import SAMPLE_CONSENT_MAPPING
    from schemas.models import ConsentRecord

    spec = load_mapping(SAMPLE_CONSENT_MAPPING, ConsentRecord)
    mapper = RowMapper(spec, ConsentRecord, secret=SECRET, transforms={}, as_of=AS_OF)
    row = {
        "intake_ref": "INT-1", "postcode": "2248DV", "huisnummer": "12", "toevoeging": "",
        "status": "gegeven", "doelen": "vroegsignalering", "domeinen": "wonen",
        "geldig_vanaf": "10-12-2025", "geldig_tot": "", "versie_verklaring": "2026-01",
        "wijze": "digitaal", "vastgelegd_door": "intaker", "registratiedatum": "10-12-2025",
    }  # fmt: skip
    first = mapper.map(RawRow(2, row))
    again = mapper.map(RawRow(9, dict(row)))
    renewed = mapper.map(RawRow(2, {**row, "registratiedatum": "20-01-2026"}))
    assert isinstance(first, MappedRow)
    assert isinstance(again, MappedRow)
    assert isinstance(renewed, MappedRow)
    assert first.facts == renewed.facts
    assert first.digest == again.digest != renewed.digest


def test_a_delta_mapping_must_map_occurred_at(tmp_path):
    from connectors.gemeente.config import SAMPLE_CONSENT_MAPPING

    text = re.sub(r"\[fields\.occurred_at\][^[]*", "", SAMPLE_CONSENT_MAPPING.read_text())
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match="a delta mapping must map occurred_at"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("as_of_file_name = '(\\d{4})-(\\d{2})'", "named groups"),
        ("as_of_file_name = '(?P<year>'", "not a regular expression"),
        ("max_resolved_percent = 101", "less than or equal to 100"),
    ],
)
def test_bad_export_date_and_guard_settings_are_named(tmp_path, line, message):
    text = CORPORATION.read_text().replace('kind = "snapshot"', f'kind = "snapshot"\n{line}', 1)
    text = text.replace("max_resolved_percent = 50 ", "", 1) if "max_resolved" in line else text
    path = tmp_path / "m.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("-30y", date(1996, 2, 1)),
        ("+0d", date(2026, 2, 1)),
        ("+1y", date(2027, 2, 1)),
        ("-10d", date(2026, 1, 22)),
        ("2000-01-01", date(2000, 1, 1)),
        ("+9999y", date(9999, 2, 1)),
    ],
)
def test_window_bounds(bound, expected):
    from connectors.plausible import resolve_bound

    assert resolve_bound(bound, AS_OF) == expected
