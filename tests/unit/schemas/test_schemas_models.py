"""The models and the kept .avsc files describe the same contract."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from uuid import UUID

import pytest
from fastavro import parse_schema
from pydantic import ValidationError

import schemas
from schemas._avrogen import AVRO_DIR, avro_schema
from schemas._registry import registry
from schemas.models import TOP_LEVEL_RECORDS, ContractModel

SYMBOL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _latest(model: type[ContractModel]) -> dict:
    folder = AVRO_DIR / model.avro_name
    latest = max(folder.glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
    return json.loads(latest.read_text(encoding="utf-8"))


@pytest.mark.parametrize("model", TOP_LEVEL_RECORDS, ids=lambda m: m.__name__)
def test_model_derives_to_latest_avsc(model: type[ContractModel]) -> None:
    assert avro_schema(model) == _latest(model), (
        f"{model.__name__} changed: run `python -m schemas._avrogen` to add a schema version"
    )


def _fields(schema: object):
    if isinstance(schema, list):
        for branch in schema:
            yield from _fields(branch)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            for field in schema["fields"]:
                yield schema["name"], field
                yield from _fields(field["type"])
        elif schema.get("type") == "array":
            yield from _fields(schema["items"])


@pytest.mark.parametrize("model", TOP_LEVEL_RECORDS, ids=lambda m: m.__name__)
def test_avsc_is_documented_and_typed(model: type[ContractModel]) -> None:
    schema = _latest(model)
    assert schema["namespace"] == "nl.wijkhub"
    assert schema["doc"]
    parse_schema(schema)  # valid Avro
    fields = list(_fields(schema))
    assert fields
    for record, field in fields:
        assert field.get("doc"), f"{record}.{field['name']} has no doc"
    text = json.dumps(schema)
    for enum in re.findall(r'"symbols": \[([^\]]*)\]', text):
        for symbol in json.loads(f"[{enum}]"):
            assert SYMBOL.match(symbol), symbol
    # dates and times use logical types, never bare strings or longs
    for _record, field in fields:
        if field["name"] in {"since", "valid_from", "valid_until", "respond_by"}:
            assert "'logicalType': 'date'" in str(field["type"])
        if field["name"].endswith("_at") or field["name"] == "at":
            assert "'logicalType': 'timestamp-micros'" in str(field["type"])


def test_every_top_level_record_has_a_registry_entry() -> None:
    names = {entry.spec.name for entry in registry().records}
    assert names == {m.avro_name for m in TOP_LEVEL_RECORDS}
    assert len(names) == 10


def test_exports_are_sorted_and_complete() -> None:
    assert schemas.__all__ == sorted(schemas.__all__)
    for name in (
        "RentArrearsSignal", "SchoolAbsenceSignal", "WorkSignal", "ConsentRecord",
        "HouseholdEvent", "JointActionProposal", "ProposalRetraction", "CoordinatorDecision",
        "PartnerFeedback", "AuditEntry",
    ):  # fmt: skip
        assert name in schemas.__all__


def _signal(**overrides: object) -> schemas.RentArrearsSignal:
    fields: dict[str, object] = {
        "event_id": UUID("00000000-0000-4000-8000-000000000001"),
        "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "source": "corporatie-test",
        "sealed_subject": bytes(80),
        "buurt_code": "BU03630000",
        "status": "opened",
        "since": date(2026, 1, 1),
        "arrears_band": "two_months",
        "eviction_risk": False,
    }
    return schemas.RentArrearsSignal.model_validate(fields | overrides)


def test_envelope_fields_come_first() -> None:
    assert list(schemas.RentArrearsSignal.model_fields)[:5] == [
        "event_id", "occurred_at", "source", "sealed_subject", "buurt_code",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("buurt_code", "0363"),
        ("arrears_band", "EUR 1200"),
        ("occurred_at", datetime(2026, 3, 1, 9, 30)),  # naive: ambiguous event time
        ("source", "Woonstad Rotterdam"),
        ("sealed_subject", bytes(513)),
    ],
)
def test_models_refuse_what_the_contract_forbids(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        _signal(**{field: value})


def test_opaque_references_refuse_bare_numbers() -> None:
    with pytest.raises(ValidationError):
        schemas.SchoolAbsence(
            status="opened", since=date(2026, 1, 1), kind="luxury", pupil_ref="123456782"
        )
    ok = schemas.SchoolAbsence(
        status="opened", since=date(2026, 1, 1), kind="luxury", pupil_ref="P-123"
    )
    assert ok.pupil_ref == "P-123"


def test_household_event_from_ingest_drops_the_sealed_subject() -> None:
    signal = _signal()
    event = schemas.HouseholdEvent.from_ingest(signal, hh_ref="k1:" + "ab" * 32)
    assert event.event_id == signal.event_id
    assert event.domain is schemas.Domain.WONEN
    assert isinstance(event.payload, schemas.RentArrears)
    assert event.payload.arrears_band is schemas.ArrearsBand.TWO_MONTHS
    assert "sealed_subject" not in event.model_dump()
    assert signal.sealed_subject not in json.dumps(event.model_dump(mode="json")).encode()


def test_signal_kind_covers_every_absence_and_work_kind() -> None:
    kinds = {k.value for k in schemas.SignalKind}
    assert {k.value for k in schemas.AbsenceKind} <= kinds
    assert {k.value for k in schemas.WorkSignalKind} <= kinds
