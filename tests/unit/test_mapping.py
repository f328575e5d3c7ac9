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
