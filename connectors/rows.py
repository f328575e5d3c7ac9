"""One export row to one checked, minimised row: identity, row key, contract facts.

The :class:`RowMapper` keeps only the contract fields the mapping names, validates them with
the contract model (pydantic), normalises the address to the canonical identifier and derives
the row key — a keyed hash (HMAC-SHA256 with the partner's own secret) of the identifier and
the row-key columns — so nothing downstream of it needs an identifier in the clear except the
sealing step.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from connectors.convert import Transform, convert_field
from connectors.errors import MappingError, RowError
from connectors.mapping import ENVELOPE_FIELDS, MappingSpec
from connectors.reader import RawRow
from schemas.identity import IdentityError, canonical_id

__all__ = ["MappedRow", "Reject", "RowMapper"]

_PLACEHOLDER_SEAL = bytes(80)
_PLACEHOLDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_DIGEST_JSON = json.JSONEncoder(sort_keys=True)  # the same text as json.dumps(sort_keys=True)


def _mac(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message``, hex, first 32 digits (one-shot: no HMAC object)."""
    return hmac.digest(secret, message, "sha256").hex()[:32]


@dataclass(frozen=True, slots=True)
class MappedRow:
    """A valid row: where it was, its keyed row key, its contract facts and their digest."""

    line: int
    row_key: str
    facts: dict[str, Any]
    digest: str
    occurred_at: datetime | None
    canonical_id: bytes = field(repr=False)
    subject_key: str = ""
    """Keyed hash of the household identifier: the Kafka key, so that one household's events
    of this source stay in one partition, in order. Partner-local (the row-key secret), so
    it links nothing across partners."""


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected row: line number, the column or field at fault, and why (no content)."""

    line: int
    field: str
    reason: str


class RowMapper:
    """Turns :class:`RawRow` into :class:`MappedRow` or :class:`Reject` for one mapping."""

    def __init__(
        self,
        spec: MappingSpec,
        model: type[BaseModel],
        *,
        secret: bytes,
        transforms: Mapping[str, Transform],
    ) -> None:
        self._spec = spec
        self._model = model
        self._secret = secret
        self._transforms = {**transforms, "opaque": self.opaque}
        unknown = {f.transform for f in spec.fields.values() if f.transform} - set(self._transforms)
        if unknown:
            raise MappingError(
                f"unknown transform(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(self._transforms))}"
            )
        self._auto: dict[str, Any] = {
            "event_id": UUID(int=0),
            "occurred_at": _PLACEHOLDER_TIME,
            "source": spec.source.partner_id,
            "sealed_subject": _PLACEHOLDER_SEAL,
        }
        if spec.source.kind == "snapshot":
            self._auto["status"] = "opened"
        self._facts = [n for n in model.model_fields if n not in ENVELOPE_FIELDS | {"status"}]
        if spec.source.kind == "delta" and "status" in model.model_fields:
            self._facts.append("status")
        self._columns = {name: f.column or name for name, f in spec.fields.items()}

    def opaque(self, text: str) -> str:
        """A stable opaque reference for a partner-internal id (keyed, not reversible)."""
        return "r" + _mac(self._secret, b"opaque\x1f" + text.encode())[:31]

    def subject_key(self, ident: bytes) -> str:
        """The partner-local Kafka key of a household (keyed, not reversible)."""
        return _mac(self._secret, b"subject\x1f" + ident)

    def _identity(self, row: Mapping[str, str]) -> bytes:
        ident = self._spec.identity
        for column in (ident.postcode, ident.house_number):
            if column not in row:
                raise RowError(column, "column is missing from this row")
        addition = row.get(ident.addition, "") if ident.addition else ""
        try:
            return canonical_id(row[ident.postcode], row[ident.house_number], addition)
        except IdentityError as exc:
            columns = {"postcode": ident.postcode, "house_number": ident.house_number}
            raise RowError(columns.get(exc.part, ident.addition or exc.part), exc.reason) from None

    def _row_key(self, row: Mapping[str, str], ident: bytes) -> str:
        parts = [ident]
        for column in self._spec.row_key.columns:
            value = row.get(column, "").strip()
            if not value:
                raise RowError(column, "row key column is missing or empty")
            parts.append(value.encode())
        return _mac(self._secret, b"\x1f".join(parts))

    def _validate(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            record = self._model.model_validate({**values, **self._auto})
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "<row>"
            raise RowError(self._columns.get(name, name), err["msg"]) from None
        return record.model_dump(mode="json", include=set(self._facts))

    def map(self, raw: RawRow) -> MappedRow | Reject:
        """Map one row; never raises for bad data."""
        if raw.problem is not None:
            return Reject(raw.line, raw.field, raw.problem)
        try:
            ident = self._identity(raw.fields)
            values: dict[str, Any] = {}
            for name, spec in self._spec.fields.items():
                present, value = convert_field(
                    name,
                    spec,
                    raw.fields,
                    formats=self._spec.file.date_formats,
                    transforms=self._transforms,
                )
                if present:
                    values[name] = value
            occurred_at = values.pop("occurred_at", None)
            facts = self._validate(values)
            row_key = self._row_key(raw.fields, ident)
        except RowError as exc:
            return Reject(raw.line, exc.field, exc.reason)
        digest = hashlib.sha256(_DIGEST_JSON.encode(facts).encode()).hexdigest()[:32]
        return MappedRow(
            raw.line, row_key, facts, digest, occurred_at, ident, self.subject_key(ident)
        )
