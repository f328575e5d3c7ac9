"""Encode contract records to Kafka values and headers, and decode them back.

The value is Avro single-object encoding exactly as the Avro specification defines it: the
two bytes ``C3 01``, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema's
Parsing Canonical Form, then the Avro binary body. The reader finds the writer schema by
fingerprint among every version kept in ``schemas/avro`` and resolves it into the current
version. The headers are CloudEvents 1.0 in binary mode (see :mod:`schemas._cloudevents`).

Decoding never raises anything but :class:`~schemas.errors.DecodeError`, which names the
topic, partition and offset the caller gave, so the caller can dead-letter the message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from io import BytesIO
from typing import Any, NamedTuple

from fastavro import schemaless_reader, schemaless_writer
from pydantic import ValidationError

from schemas._cloudevents import (
    CONTENT_TYPE,
    SPECVERSION,
    Headers,
    HeaderTemplate,
    header_map,
    header_template,
)
from schemas._cloudevents import valid_source as _valid_source
from schemas._registry import MAGIC, RecordVersions, SchemaVersion, registry
from schemas.errors import DecodeError, EncodeError
from schemas.models import ContractModel

__all__ = ["Encoded", "decode", "decode_message", "encode", "fingerprint_of"]

_HEADER_LEN = 10
_NESTED: dict[str, type[ContractModel]] = {}
_Fail = Callable[[str], DecodeError]


class Encoded(NamedTuple):
    """A Kafka message value and its headers."""

    value: bytes
    headers: list[tuple[str, bytes]]


def fingerprint_of(model: type[ContractModel]) -> bytes:
    """The 8-byte wire fingerprint of the current schema of ``model``."""
    return _entry(model).current.fingerprint


def _entry(model: type[ContractModel]) -> RecordVersions:
    try:
        return registry().by_model[model]
    except KeyError:
        raise EncodeError(
            f"{model.__name__} is not a top-level wijkhub record; encode one of "
            f"{', '.join(sorted(m.__name__ for m in registry().by_model))}"
        ) from None


def encode(record: ContractModel, *, source: str, time: datetime | None = None) -> Encoded:
    """Encode ``record`` as its current schema version, with CloudEvents headers.

    ``source`` is the CloudEvents source: a URN naming the publishing organisation and system,
    e.g. ``urn:nld:kvknr:12345678.huurbeheer``. ``time`` is when the event was logged
    (default: now); the real-world time lives in the record.
    """
    entry = _entry(type(record))
    current = entry.current
    template = _template(entry.spec.ce_type, current.uri, source)
    if time is not None and time.tzinfo is None:
        raise EncodeError("time must be timezone-aware (UTC); got a naive datetime")
    datum = record.model_dump()
    for name in entry.union_fields:
        member = getattr(record, name)
        if member is not None:
            datum[name] = (f"nl.wijkhub.{member.avro_name}", datum[name])
    buf = BytesIO()
    buf.write(current.prefix)
    try:
        schemaless_writer(buf, current.parsed, datum)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise EncodeError(
            f"{entry.spec.name} does not fit its schema v{current.version} ({type(exc).__name__}); "
            "build records through the model (not model_construct) so they are validated"
        ) from exc
    headers = template.headers(str(getattr(record, entry.spec.id_field)), time or datetime.now(UTC))
    return Encoded(buf.getvalue(), headers)


@lru_cache(maxsize=256)
def _template(ce_type: str, dataschema: str, source: str) -> HeaderTemplate:
    """The constant headers of one record type, schema version and source, checked once.

    An invalid source raises (and is not cached), so every ``encode`` with it raises.
    """
    if not _valid_source(source):
        raise EncodeError(
            f"CloudEvents source {source!r} is not an absolute URI; configure the connector "
            "with a URN such as 'urn:nld:oin:<OIN>:systeem:<system>'"
        )
    return header_template(
        source=source.encode("utf-8"),
        ce_type=ce_type.encode("ascii"),
        dataschema=dataschema.encode("ascii"),
    )


def decode(
    value: bytes | None,
    headers: Headers | None = None,
    *,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    expected: type[ContractModel] | tuple[type[ContractModel], ...] | None = None,
) -> Any:
    """Decode a Kafka message value (and check its headers, when given) into its model.

    ``expected`` names the record type(s) the topic may hold (``topic_spec(name).records``);
    another record is refused. Raises :class:`DecodeError` for anything that is not a valid
    wijkhub event.
    """

    def fail(reason: str) -> DecodeError:
        return DecodeError(reason, topic=topic, partition=partition, offset=offset)

    if value is None:
        raise fail("the message has no value (a tombstone?)")
    if len(value) < _HEADER_LEN:
        raise fail(f"{len(value)} bytes is shorter than the 10-byte single-object header")
    if value[:2] != MAGIC:
        raise fail(
            f"does not start with the Avro single-object marker C3 01 (got {value[:2].hex()})"
        )
    found = registry().by_fingerprint.get(bytes(value[2:_HEADER_LEN]))
    if found is None:
        raise fail(
            f"unknown schema fingerprint {bytes(value[2:_HEADER_LEN]).hex()}: not a version kept "
            "in schemas/avro (a newer wijkhub release, or not a wijkhub event)"
        )
    entry, writer = found
    if expected is not None and not issubclass(entry.spec.model, expected):
        names = (
            expected.__name__
            if isinstance(expected, type)
            else "/".join(e.__name__ for e in expected)
        )
        raise fail(f"a {entry.spec.name} does not belong here; this topic holds {names}")
    record = _read(value, entry, writer, fail)
    if headers is not None:
        _check_headers(headers, entry, writer, record, fail)
    return record


def decode_message(message: Any) -> Any:
    """Decode a consumed Kafka message: anything with ``topic``, ``partition``, ``offset``,
    ``value`` and ``headers`` (kafka-python's and aiokafka's records, the hub's ``Message``).

    A :class:`DecodeError` names where the message came from.
    """
    return decode(
        message.value,
        message.headers,
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
    )


def _read(value: bytes, entry: RecordVersions, writer: SchemaVersion, fail: _Fail) -> ContractModel:
    current = entry.current
    buf = BytesIO(value)
    buf.seek(_HEADER_LEN)
    try:
        datum = schemaless_reader(
            buf,
            writer.parsed,
            None if writer is current else current.parsed,
            return_record_name=True,
            return_record_name_override=True,
        )
    except Exception as exc:  # fastavro raises many kinds on bad input; all mean the same
        raise fail(
            f"body is not a valid {entry.spec.name} v{writer.version} ({type(exc).__name__}: {exc})"
        ) from exc
    if buf.tell() != len(value):
        raise fail(f"{len(value) - buf.tell()} trailing bytes after the {entry.spec.name} body")
    if not isinstance(datum, dict):
        raise fail(f"body is not a {entry.spec.name} record")
    try:
        for name in entry.union_fields:
            datum[name] = _nested(datum[name])
        return entry.spec.model.model_validate(datum)
    except (ValidationError, KeyError, TypeError, ValueError) as exc:
        raise fail(f"{entry.spec.name} violates its contract: {_summary(exc)}") from exc


def _nested(member: Any) -> Any:
    if not isinstance(member, tuple):
        return member
    name, value = member
    if not _NESTED:
        for entry in registry().records:
            for info in entry.spec.model.model_fields.values():
                for arg in getattr(info.annotation, "__args__", ()):
                    if isinstance(arg, type) and issubclass(arg, ContractModel):
                        _NESTED[f"nl.wijkhub.{arg.avro_name}"] = arg
    return _NESTED[name].model_validate(value)


def _summary(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        # locations and messages only: never echo the input, it may be pseudonymous data
        return "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
            for err in exc.errors(include_input=False, include_url=False)
        )
    return f"{type(exc).__name__}: {exc}"


def _check_headers(
    headers: Headers, entry: RecordVersions, writer: SchemaVersion, record: Any, fail: _Fail
) -> None:
    found, duplicate = header_map(headers)
    if duplicate is not None:
        raise fail(f"header {duplicate} appears more than once")
    expected = {
        "ce_specversion": SPECVERSION,
        "ce_type": entry.spec.ce_type.encode("ascii"),
        "ce_dataschema": writer.uri.encode("ascii"),
        "content-type": CONTENT_TYPE,
        "ce_id": str(getattr(record, entry.spec.id_field)).encode("ascii"),
    }
    for key in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema"):
        if not found.get(key):
            raise fail(f"missing CloudEvents header {key}")
    if "content-type" not in found:
        raise fail("missing header content-type")
    for key, want in expected.items():
        if found[key] != want:
            raise fail(
                f"header {key} is {found[key][:100]!r}, expected {want!r} for "
                f"{entry.spec.name} v{writer.version}"
            )
    source = found["ce_source"].decode("utf-8", errors="replace")
    if not _valid_source(source):
        raise fail(f"header ce_source {source[:100]!r} is not an absolute URI")
    try:
        datetime.fromisoformat(found["ce_time"].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise fail(f"header ce_time {found['ce_time'][:40]!r} is not an RFC 3339 time") from None
