"""Round trips, headers and schema resolution of the codec."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from uuid import UUID

import pytest
from fastavro import parse_schema, schemaless_writer
from fastavro.schema import fingerprint as avro_fingerprint
from hypothesis import given, settings
from schemas_strategies import model_strategy

import schemas
from schemas import codec
from schemas._avrogen import AVRO_DIR
from schemas._registry import load_registry, registry
from schemas.codec import Encoded, decode, encode
from schemas.models import TOP_LEVEL_RECORDS, ContractModel

SOURCE = "urn:nld:kvknr:00000000.wijkhub-test"
WHEN = datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("model", TOP_LEVEL_RECORDS, ids=lambda m: m.__name__)
def test_round_trip_every_record(model: type[ContractModel]) -> None:
    @settings(max_examples=60, deadline=None)
    @given(model_strategy(model))
    def round_trip(record: ContractModel) -> None:
        encoded = encode(record, source=SOURCE, time=WHEN)
        assert isinstance(encoded, Encoded)
        assert encoded.value[:2] == b"\xc3\x01"
        assert encoded.value[2:10] == codec.fingerprint_of(model)
        back = decode(encoded.value, encoded.headers, topic="t", partition=0, offset=1)
        assert type(back) is model
        assert back == record

    round_trip()


def _rent(**overrides: object) -> schemas.RentArrearsSignal:
    fields: dict[str, object] = {
        "event_id": UUID("6f1c1a52-3b1e-4f5e-9d7a-2b8c4d5e6f70"),
        "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "source": "corporatie-test",
        "sealed_subject": bytes(range(80)),
        "buurt_code": "BU03630000",
        "status": "opened",
        "since": date(2026, 1, 1),
        "arrears_band": "two_months",
        "eviction_risk": True,
    }
    return schemas.RentArrearsSignal.model_validate(fields | overrides)


def test_headers_follow_cloudevents_binary_mode() -> None:
    record = _rent()
    headers = dict(encode(record, source=SOURCE, time=WHEN).headers)
    assert headers == {
        "ce_specversion": b"1.0",
        "ce_id": b"6f1c1a52-3b1e-4f5e-9d7a-2b8c4d5e6f70",
        "ce_source": SOURCE.encode(),
        "ce_type": b"nl.wijkaanpak.wonen.huurachterstand.v1",
        "ce_time": b"2026-03-02T08:00:00.123456Z",
        "ce_dataschema": b"urn:wijkhub:schema:nl.wijkhub.RentArrearsSignal:v1",
        "content-type": b"application/avro",
    }


def test_headers_carry_no_payload_data() -> None:
    record = _rent()
    headers = b"".join(v for _k, v in encode(record, source=SOURCE).headers)
    assert record.sealed_subject not in headers
    assert b"BU03630000" not in headers
    assert b"corporatie-test" not in headers


def test_encoding_is_deterministic_for_the_same_record_and_time() -> None:
    assert encode(_rent(), source=SOURCE, time=WHEN) == encode(_rent(), source=SOURCE, time=WHEN)


def test_ce_time_is_utc_whatever_the_zone_given() -> None:
    from datetime import timedelta, timezone

    amsterdam = WHEN.astimezone(timezone(timedelta(hours=1)))
    headers = dict(encode(_rent(), source=SOURCE, time=amsterdam).headers)
    assert headers["ce_time"] == b"2026-03-02T08:00:00.123456Z"


@pytest.mark.parametrize("source", ["", "corporatie", "urn:nld:kvknr:1 2", "x" * 300])
def test_encode_refuses_a_source_that_is_not_a_uri(source: str) -> None:
    with pytest.raises(schemas.errors.EncodeError, match="not an absolute URI"):
        encode(_rent(), source=source)


def test_encode_refuses_a_nested_record_and_naive_time() -> None:
    nested = schemas.RentArrears(
        status="opened", since=date(2026, 1, 1), arrears_band="one_month", eviction_risk=False
    )
    with pytest.raises(schemas.errors.EncodeError, match="not a top-level"):
        encode(nested, source=SOURCE)
    with pytest.raises(schemas.errors.EncodeError, match="timezone-aware"):
        encode(_rent(), source=SOURCE, time=datetime(2026, 1, 1))


def test_household_event_union_payload_keeps_its_branch() -> None:
    for payload in (
        schemas.WorkChange(status="observed", since=date(2026, 2, 1), kind="benefit_started"),
        schemas.SchoolAbsence(
            status="opened", since=date(2026, 2, 1), kind="luxury", pupil_ref="p1"
        ),
        schemas.RentArrears(
            status="resolved", since=date(2026, 2, 1), arrears_band="one_month", eviction_risk=False
        ),
    ):
        event = schemas.HouseholdEvent(
            event_id=UUID(int=7), occurred_at=WHEN, source="gemeente-x", hh_ref="k1:" + "0" * 64,
            payload=payload,
        )  # fmt: skip
        back = decode(*encode(event, source=SOURCE))
        assert type(back.payload) is type(payload)
        assert back == event


def test_an_older_writer_version_is_read_into_the_current_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1 of RentArrearsSignal lacked buurt_code; v2 (today's) added it with a default."""
    tree = tmp_path / "avro"
    shutil.copytree(AVRO_DIR, tree)
    folder = tree / "RentArrearsSignal"
    current = json.loads((folder / "v1.avsc").read_text())
    (folder / "v1.avsc").rename(folder / "v2.avsc")
    older = dict(current, fields=[f for f in current["fields"] if f["name"] != "buurt_code"])
    (folder / "v1.avsc").write_text(json.dumps(older))
    reg = load_registry(tree)
    monkeypatch.setattr(codec, "registry", lambda: reg)

    body = BytesIO()
    record = _rent()
    datum = record.model_dump(exclude={"buurt_code"})
    schemaless_writer(body, parse_schema(older), datum)
    canonical = reg.by_model[schemas.RentArrearsSignal].versions[0].canonical_form
    value = (
        b"\xc3\x01" + bytes.fromhex(avro_fingerprint(canonical, "CRC-64-AVRO")) + body.getvalue()
    )

    back = decode(value)
    assert back == record.model_copy(update={"buurt_code": None})
    # and the headers must name the version that wrote it
    headers = dict(encode(record, source=SOURCE).headers)
    with pytest.raises(schemas.errors.DecodeError, match="ce_dataschema"):
        decode(value, list(headers.items()))
    headers["ce_dataschema"] = b"urn:wijkhub:schema:nl.wijkhub.RentArrearsSignal:v1"
    assert decode(value, list(headers.items())) == back


def test_registry_knows_every_version_once() -> None:
    reg = registry()
    assert len(reg.by_fingerprint) == sum(len(r.versions) for r in reg.records)


def test_a_household_event_refuses_an_ingest_record_as_payload() -> None:
    with pytest.raises(ValueError, match="from_ingest"):
        schemas.HouseholdEvent(
            event_id=UUID(int=1), occurred_at=WHEN, source="corporatie-test",
            hh_ref="k1:" + "0" * 64, payload=_rent(),
        )  # fmt: skip


def test_decode_refuses_a_record_on_the_wrong_topic() -> None:
    from schemas.catalogue import topic_spec

    value, headers = encode(_rent(), source=SOURCE)
    werk = topic_spec("ingest.werk.v1").records
    with pytest.raises(schemas.errors.DecodeError, match="RentArrearsSignal does not belong"):
        decode(value, headers, topic="wijkhub.ingest.werk.v1", expected=werk)
    assert decode(value, headers, expected=schemas.RentArrearsSignal) == _rent()


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
def test_encode_wraps_schema_misfits() -> None:
    broken = schemas.RentArrearsSignal.model_construct(**(_rent().model_dump() | {"status": "x"}))
    with pytest.raises(schemas.errors.EncodeError, match="does not fit its schema"):
        encode(broken, source=SOURCE)
