"""The wire fingerprint is CRC-64-AVRO of the Parsing Canonical Form, and other Avro
implementations read our bytes."""

from __future__ import annotations

import functools
import io
import json
from datetime import UTC, date, datetime
from uuid import UUID

import avro.io
import avro.schema
import pytest
from fastavro.schema import fingerprint as fastavro_fingerprint
from hypothesis import given, settings
from schemas_strategies import model_strategy

import schemas
from schemas._registry import registry
from schemas.codec import encode
from schemas.models import TOP_LEVEL_RECORDS, ContractModel

SOURCE = "urn:nld:kvknr:00000000.wijkhub-test"


def fingerprint64_bitwise(data: bytes) -> int:
    """The Avro specification's algorithm, bit by bit, without a table."""
    empty = 0xC15D213AA4D7A795
    fp = empty
    for byte in data:
        fp ^= byte
        for _ in range(8):
            fp = (fp >> 1) ^ (empty if fp & 1 else 0)
    return fp


def test_known_vectors() -> None:
    # the spec's "int" example: the spec's algorithm and fastavro's (which the registry uses)
    # agree on its little-endian form
    assert fingerprint64_bitwise(b'"int"').to_bytes(8, "little").hex() == "8f5c393f1ad57572"
    assert fastavro_fingerprint('"int"', "CRC-64-AVRO") == "8f5c393f1ad57572"
    assert fingerprint64_bitwise(b"") == 0xC15D213AA4D7A795


_ORDER = ("name", "type", "fields", "symbols", "items", "values", "size")
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def canonical_form(schema: object, namespace: str = "") -> str:
    """The spec's Parsing Canonical Form, written from its rules for this test alone:
    [PRIMITIVES] [FULLNAMES] [STRIP] [ORDER] [STRINGS] [INTEGERS] [WHITESPACE]."""
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return json.dumps(schema)
        return json.dumps(schema if "." in schema else f"{namespace}.{schema}")
    if isinstance(schema, list):
        return "[" + ",".join(canonical_form(s, namespace) for s in schema) + "]"
    assert isinstance(schema, dict)
    kind = schema["type"]
    if kind in _PRIMITIVES:  # a logical type on a primitive: only the primitive remains
        return json.dumps(kind)
    parts = []
    if "name" in schema:
        name = schema["name"]
        if "." not in name:
            name = f"{schema.get('namespace', namespace)}.{name}"
        namespace = name.rsplit(".", 1)[0]
        parts.append(f'"name":{json.dumps(name)}')
    parts.append(f'"type":{json.dumps(kind)}')
    if kind == "record":
        fields = ",".join(
            f'{{"name":{json.dumps(f["name"])},"type":{canonical_form(f["type"], namespace)}}}'
            for f in schema["fields"]
        )
        parts.append(f'"fields":[{fields}]')
    if kind == "enum":
        parts.append(f'"symbols":{json.dumps(schema["symbols"], separators=(",", ":"))}')
    if kind == "array":
        parts.append(f'"items":{canonical_form(schema["items"], namespace)}')
    if kind == "map":
        parts.append(f'"values":{canonical_form(schema["values"], namespace)}')
    if kind == "fixed":
        parts.append(f'"size":{int(schema["size"])}')
    return "{" + ",".join(parts) + "}"


@pytest.mark.parametrize("entry", registry().records, ids=lambda e: e.spec.name)
def test_fingerprints_of_our_schemas(entry) -> None:
    for version in entry.versions:
        schema = json.loads(version.path.read_text(encoding="utf-8"))
        assert version.canonical_form == canonical_form(schema)
        expected = fingerprint64_bitwise(canonical_form(schema).encode()).to_bytes(8, "little")
        assert version.fingerprint == expected
        assert version.prefix == b"\xc3\x01" + expected


def test_apache_avro_python_differs_on_logical_types() -> None:
    """Known interop trap, documented in docs/contracts.md: Apache Avro's Python package
    (<= 1.12) keeps ``{"type":"string"}`` for a logical-typed primitive in the canonical form,
    where the spec (and Java, fastavro) reduce it to ``"string"``: its fingerprint differs.
    If this starts failing, the package was fixed: drop the warning from the docs."""
    schema = {"type": "record", "name": "T", "namespace": "nl.wijkhub", "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}}]}  # fmt: skip
    ours = canonical_form(schema)
    assert (
        ours == '{"name":"nl.wijkhub.T","type":"record","fields":[{"name":"id","type":"string"}]}'
    )
    assert avro.schema.parse(json.dumps(schema)).canonical_form != ours


@functools.cache
def _apache_schemas() -> dict[bytes, avro.schema.Schema]:
    """Every published .avsc parsed by Apache Avro, by the fingerprint computed here."""
    by_fp = {}
    for entry in registry().records:
        for version in entry.versions:
            schema = json.loads(version.path.read_text(encoding="utf-8"))
            fingerprint = fingerprint64_bitwise(canonical_form(schema).encode())
            by_fp[fingerprint.to_bytes(8, "little")] = avro.schema.parse(json.dumps(schema))
    return by_fp


def _read_with_apache_avro(value: bytes) -> tuple[str, dict]:
    """Decode single-object bytes knowing only the published .avsc files, with Apache Avro."""
    assert value[:2] == b"\xc3\x01"
    writer = _apache_schemas()[value[2:10]]
    decoder = avro.io.BinaryDecoder(io.BytesIO(value[10:]))
    datum = avro.io.DatumReader(writer).read(decoder)
    return writer.name, datum


@pytest.mark.parametrize("model", TOP_LEVEL_RECORDS, ids=lambda m: m.__name__)
def test_apache_avro_reads_our_bytes(model: type[ContractModel]) -> None:
    @settings(max_examples=15, deadline=None)
    @given(model_strategy(model))
    def check(record: ContractModel) -> None:
        name, datum = _read_with_apache_avro(encode(record, source=SOURCE).value)
        assert name == model.avro_name
        assert model.model_validate(_normalise(datum, record)) == record

    check()


def _normalise(datum: dict, record: ContractModel) -> dict:
    """Apache Avro returns a union-of-records branch as a plain dict: rebuild the model."""
    if isinstance(record, schemas.HouseholdEvent):
        datum = dict(datum, payload=type(record.payload).model_validate(datum["payload"]))
    return datum


def test_apache_avro_reads_a_known_signal_exactly() -> None:
    record = schemas.SchoolAbsenceSignal(
        event_id=UUID("3d9b1c2e-5f60-4a7b-8c9d-0e1f2a3b4c5d"),
        occurred_at=datetime(2026, 5, 4, 12, 0, tzinfo=UTC),
        source="school-test",
        sealed_subject=b"\x01" * 64,
        status="updated",
        since=date(2026, 4, 20),
        kind="unauthorised_16h_4w",
        pupil_ref="L-0042",
    )
    name, datum = _read_with_apache_avro(encode(record, source=SOURCE).value)
    assert name == "SchoolAbsenceSignal"
    assert datum == {
        "event_id": "3d9b1c2e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
        "occurred_at": datetime(2026, 5, 4, 12, 0, tzinfo=datum["occurred_at"].tzinfo),
        "source": "school-test",
        "sealed_subject": b"\x01" * 64,
        "buurt_code": None,
        "status": "updated",
        "since": date(2026, 4, 20),
        "kind": "unauthorised_16h_4w",
        "pupil_ref": "L-0042",
    }
    assert datum["occurred_at"].utcoffset().total_seconds() == 0
