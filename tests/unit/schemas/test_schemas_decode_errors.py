"""Bad input raises a precise DecodeError naming where it was read; nothing else escapes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO
from uuid import UUID

import pytest
from fastavro import schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from schemas._registry import registry
from schemas.codec import decode, encode
from schemas.errors import DecodeError, WijkhubError

WHERE = {"topic": "wijkhub.ingest.wonen.v1", "partition": 3, "offset": 1234}
SOURCE = "urn:nld:kvknr:00000000.wijkhub-test"


def _record() -> schemas.WorkSignal:
    return schemas.WorkSignal(
        event_id=UUID("9b2e7f0a-0000-4000-8000-00000000abcd"),
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
        source="gemeente-test",
        sealed_subject=bytes(72),
        status="opened",
        since=date(2026, 3, 1),
        kind="placement_ended",
    )


def _fails(value: bytes | None, headers: object = None, match: str = "") -> DecodeError:
    with pytest.raises(DecodeError, match=match) as info:
        decode(value, headers, **WHERE)  # type: ignore[arg-type]
    err = info.value
    assert (err.topic, err.partition, err.offset) == ("wijkhub.ingest.wonen.v1", 3, 1234)
    assert "topic wijkhub.ingest.wonen.v1 partition 3 offset 1234" in str(err)
    assert "dead-letter" in str(err)
    assert isinstance(err, WijkhubError)
    return err


def test_garbage() -> None:
    _fails(b"hello, this is not avro", match="single-object marker C3 01")


def test_tombstone_and_empty() -> None:
    _fails(None, match="no value")
    _fails(b"", match="shorter than the 10-byte")


def test_unknown_fingerprint() -> None:
    _fails(b"\xc3\x01" + bytes(8) + b"\x00", match="unknown schema fingerprint 0000000000000000")


@pytest.mark.parametrize("cut", [11, 20, 40, -1])
def test_truncated(cut: int) -> None:
    value = encode(_record(), source=SOURCE).value
    _fails(value[:cut], match="body is not a valid WorkSignal v1")


def test_trailing_bytes() -> None:
    value = encode(_record(), source=SOURCE).value
    _fails(value + b"\x00\x00", match="2 trailing bytes")


def test_valid_avro_that_breaks_the_contract() -> None:
    version = registry().by_model[schemas.WorkSignal].current
    datum = _record().model_dump() | {"source": "Gemeente Voorbeeld, afdeling Werk"}
    body = BytesIO()
    schemaless_writer(body, version.parsed, datum)
    err = _fails(version.prefix + body.getvalue(), match="violates its contract: source")
    assert "afdeling" not in str(err)  # the input is never echoed


def test_headers_missing() -> None:
    encoded = encode(_record(), source=SOURCE)
    _fails(encoded.value, [], match="missing CloudEvents header ce_specversion")
    for name, _value in encoded.headers:
        headers = [(k, v) for k, v in encoded.headers if k != name]
        _fails(encoded.value, headers, match=f"missing .*header {name}")


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("ce_specversion", b"0.3", "ce_specversion"),
        ("ce_type", b"nl.wijkaanpak.wonen.huurachterstand.v1", "ce_type"),
        ("ce_id", b"00000000-0000-0000-0000-000000000000", "ce_id"),
        ("ce_dataschema", b"urn:wijkhub:schema:nl.wijkhub.WorkSignal:v9", "ce_dataschema"),
        ("content-type", b"application/json", "content-type"),
        ("ce_source", b"not a uri", "ce_source"),
        ("ce_time", b"yesterday", "ce_time"),
    ],
)
def test_headers_wrong(name: str, value: bytes, match: str) -> None:
    encoded = encode(_record(), source=SOURCE)
    headers = [(k, value if k == name else v) for k, v in encoded.headers]
    _fails(encoded.value, headers, match=match)


def test_header_twice() -> None:
    encoded = encode(_record(), source=SOURCE)
    _fails(encoded.value, [*encoded.headers, ("ce_type", b"x")], match="ce_type appears more")


def test_headers_as_a_mapping_are_accepted() -> None:
    encoded = encode(_record(), source=SOURCE)
    assert decode(encoded.value, dict(encoded.headers)) == _record()


def test_where_shows_what_is_unknown() -> None:
    with pytest.raises(DecodeError, match=r"topic \? partition \? offset \?"):
        decode(b"junk")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=2))
def test_any_bytes_raise_decode_error_or_decode(noise: bytes, mode: int) -> None:
    """Random bodies behind a real prefix: a DecodeError or a valid record, never a crash."""
    prefix = registry().by_model[schemas.WorkSignal].current.prefix
    value = [noise, prefix + noise, encode(_record(), source=SOURCE).value[: len(noise)]][mode]
    try:
        record = decode(value, **WHERE)
    except DecodeError:
        return
    assert isinstance(record, schemas.WorkSignal)
