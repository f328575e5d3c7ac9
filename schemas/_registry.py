"""Every kept ``.avsc`` version, parsed once, indexed by model, name and fingerprint."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import fingerprint as avro_fingerprint
from fastavro.schema import to_parsing_canonical_form

from schemas._avrogen import AVRO_DIR, NAMESPACE
from schemas._records import RECORDS, RecordSpec
from schemas.errors import SchemaError
from schemas.models import ContractModel

__all__ = ["MAGIC", "RecordVersions", "Registry", "SchemaVersion", "load_registry", "registry"]

MAGIC = b"\xc3\x01"
"""The two marker bytes that open every single-object encoded message."""


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    """One kept version of a record's schema."""

    record: str
    version: int
    path: Path
    schema: dict[str, Any]
    parsed: Any
    canonical_form: str
    fingerprint: bytes
    """CRC-64-AVRO of the Parsing Canonical Form, 8 bytes little-endian, as on the wire."""

    @property
    def prefix(self) -> bytes:
        """``C3 01`` + fingerprint: the first ten bytes of every message in this version."""
        return MAGIC + self.fingerprint

    @property
    def uri(self) -> str:
        """The CloudEvents ``dataschema`` of this version."""
        return dataschema_uri(self.record, self.version)


def dataschema_uri(record: str, version: int) -> str:
    """``urn:wijkhub:schema:nl.wijkhub.<Record>:v<N>``, naming ``schemas/avro/<Record>/v<N>``."""
    return f"urn:wijkhub:schema:{NAMESPACE}.{record}:v{version}"


@dataclass(frozen=True, slots=True)
class RecordVersions:
    """A top-level record with every kept version, oldest first; the last is current."""

    spec: RecordSpec
    versions: tuple[SchemaVersion, ...]
    union_fields: tuple[str, ...] = field(default=())
    """Top-level fields that hold a union of records (written as ``(name, value)``)."""

    @property
    def current(self) -> SchemaVersion:
        """The version the models match and the codec writes."""
        return self.versions[-1]


@dataclass(frozen=True, slots=True)
class Registry:
    """All records and versions, indexed for the codec."""

    records: tuple[RecordVersions, ...]
    by_model: dict[type[ContractModel], RecordVersions]
    by_fingerprint: dict[bytes, tuple[RecordVersions, SchemaVersion]]


def _load_version(record: str, path: Path) -> SchemaVersion:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        parsed = parse_schema(schema)
        canonical = to_parsing_canonical_form(schema)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SchemaError(
            f"{path}: not a valid Avro schema ({exc}); fix or restore the file"
        ) from exc
    # fastavro gives CRC-64-AVRO as the hex of its 8 little-endian bytes: the wire order
    fingerprint = bytes.fromhex(avro_fingerprint(canonical, "CRC-64-AVRO"))
    return SchemaVersion(record, int(path.stem[1:]), path, schema, parsed, canonical, fingerprint)


def _union_fields(model: type[ContractModel]) -> tuple[str, ...]:
    out = []
    for name, info in model.model_fields.items():
        args = getattr(info.annotation, "__args__", ())
        records = [a for a in args if isinstance(a, type) and issubclass(a, ContractModel)]
        if len(records) > 1:
            out.append(name)
    return tuple(out)


def load_registry(avro_dir: Path = AVRO_DIR) -> Registry:
    """Read and parse every version of every top-level record under ``avro_dir``."""
    records = []
    by_fingerprint: dict[bytes, tuple[RecordVersions, SchemaVersion]] = {}
    for spec in RECORDS:
        folder = avro_dir / spec.name
        paths = sorted(folder.glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
        if not paths:
            raise SchemaError(f"{folder}: no v<N>.avsc for record {spec.name}; restore it")
        versions = tuple(_load_version(spec.name, p) for p in paths)
        if [v.version for v in versions] != list(range(1, len(versions) + 1)):
            raise SchemaError(f"{folder}: versions must be v1..vN without gaps")
        entry = RecordVersions(spec, versions, _union_fields(spec.model))
        records.append(entry)
        for version in versions:
            if version.fingerprint in by_fingerprint:
                other = by_fingerprint[version.fingerprint][1]
                raise SchemaError(
                    f"{version.path} has the same fingerprint as {other.path}; a new version "
                    "must change the schema, not only its docs"
                )
            by_fingerprint[version.fingerprint] = (entry, version)
    return Registry(
        records=tuple(records),
        by_model={r.spec.model: r for r in records},
        by_fingerprint=by_fingerprint,
    )


@cache
def registry() -> Registry:
    """The registry of the schemas shipped with this package, loaded once per process."""
    return load_registry()
