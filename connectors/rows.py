"""One export row to one checked, minimised row: identity, row key, contract facts.

The :class:`RowMapper` keeps only the contract fields the mapping names, validates them with
the contract model (pydantic), normalises the address to the canonical identifier and derives
the row key — a keyed hash (HMAC-SHA256 with the partner's own secret) of the identifier and
the row-key columns — so nothing downstream of it needs an identifier in the clear except the
sealing step. A row that cannot be mapped becomes a :class:`Reject` naming the line, the column
and the reason; :meth:`RowMapper.map` never raises for anything in a row.

The digest of a delta row covers its ``occurred_at`` too: a gemeente that registers the same
consent again (a new registration date) makes a new event, while the same row exported twice
stays one event.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ValidationError

from connectors.convert import Transform, convert_field, parse_date
from connectors.errors import MappingError, RowError
from connectors.mapping import ENVELOPE_FIELDS, MappingSpec
from connectors.plausible import DateWindow
from connectors.reader import RawRow
from schemas.identity import IdentityError, canonical_id
from schemas.logging import get_logger

__all__ = ["MAX_CELL", "MappedRow", "Reject", "RowMapper", "facts_digest"]

MAX_CELL = 1024
"""The longest value a mapped column may hold; every contract value is far shorter."""
log = get_logger(__name__)

_PLACEHOLDER_SEAL = bytes(80)
_PLACEHOLDER_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_DIGEST_JSON = json.JSONEncoder(sort_keys=True)  # the same text as json.dumps(sort_keys=True)


def facts_digest(facts: Mapping[str, Any], occurred_at: datetime | None = None) -> str:
    """The content digest of a row: its contract facts and, for a delta row, occurred_at."""
    text = _DIGEST_JSON.encode(facts)
    if occurred_at is not None:  # a re-registration (new occurred_at) is a new event
        text += "\x1f" + occurred_at.isoformat()
    return hashlib.sha256(text.encode()).hexdigest()[:32]


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
    column_key: str = ""
    """Keyed hash of the row-key columns alone (see :class:`Reject`)."""


@dataclass(frozen=True, slots=True)
class Reject:
    """A rejected row: line number, the column or field at fault, and why (no content).

    ``row_key`` and ``column_key`` are set when the row's key could still be derived: a
    snapshot then keeps the row's previous event standing instead of resolving it.
    """

    line: int
    field: str
    reason: str
    row_key: str | None = None
    column_key: str | None = None


class RowMapper:
    """Turns :class:`RawRow` into :class:`MappedRow` or :class:`Reject` for one mapping.

    ``as_of`` is the export date: date fields must lie in their plausibility window around
    it, and with ``check_as_of`` every row's ``as_of_column`` must name that date.
    """

    def __init__(
        self,
        spec: MappingSpec,
        model: type[BaseModel],
        *,
        secret: bytes,
        transforms: Mapping[str, Transform],
        as_of: date,
        check_as_of: bool = False,
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
        self._mapped_columns = tuple(spec.columns())
        self._as_of = as_of
        self._as_of_column = spec.source.as_of_column if check_as_of else None
        self._delta = spec.source.kind == "delta"
        default = (spec.file.earliest, spec.file.latest)
        self._windows = {
            name: DateWindow.of(f.earliest or default[0], f.latest or default[1], as_of)
            for name, f in spec.fields.items()
            if f.type in ("date", "datetime")
        }

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

    def _key_values(self, row: Mapping[str, str]) -> tuple[list[bytes], RowError | None]:
        parts = []
        for column in self._spec.row_key.columns:
            value = row.get(column, "").strip()
            if not value:
                return [], RowError(column, "row key column is missing or empty")
            if len(value) > MAX_CELL:
                return [], RowError(column, f"is longer than {MAX_CELL:,} characters")
            parts.append(value.encode())
        return parts, None

    def _validate(self, values: dict[str, Any]) -> dict[str, Any]:
        try:
            record = self._model.model_validate({**values, **self._auto})
        except ValidationError as exc:
            err = exc.errors()[0]
            name = str(err["loc"][0]) if err["loc"] else "<row>"
            raise RowError(self._columns.get(name, name), err["msg"]) from None
        return record.model_dump(mode="json", include=set(self._facts))

    def _check_lengths(self, row: Mapping[str, str]) -> None:
        for column in self._mapped_columns:
            if len(row.get(column, "")) > MAX_CELL:
                raise RowError(column, f"is longer than {MAX_CELL:,} characters")

    def _check_as_of(self, row: Mapping[str, str]) -> None:
        column = self._as_of_column
        if column is not None:
            try:
                day = parse_date(row.get(column, "").strip(), self._spec.source.as_of_formats)
            except ValueError as exc:
                raise RowError(column, f"export date: {exc}") from None
            if day != self._as_of:
                raise RowError(column, f"export date differs from the export's ({self._as_of})")

    def _facts_of(self, raw: RawRow) -> tuple[dict[str, Any], datetime | None]:
        values: dict[str, Any] = {}
        for name, spec in self._spec.fields.items():
            present, value = convert_field(
                name,
                spec,
                raw.fields,
                formats=self._spec.file.date_formats,
                transforms=self._transforms,
                window=self._windows.get(name),
            )
            if present:
                values[name] = value
        occurred_at = values.pop("occurred_at", None)
        return self._validate(values), occurred_at

    def map(self, raw: RawRow) -> MappedRow | Reject:
        """Map one row; never raises for bad data."""
        if raw.problem is not None:
            return Reject(raw.line, raw.field, raw.problem)
        keys: dict[str, str] = {}
        try:
            return self._map(raw, keys)
        except RowError as exc:
            return Reject(raw.line, exc.field, exc.reason, keys.get("row"), keys.get("column"))
        except Exception as exc:  # one row never stops an export
            # not log.exception: a traceback may quote the row's content
            log.error("row could not be mapped", line=raw.line, error=type(exc).__name__)  # noqa: TRY400
            return Reject(
                raw.line,
                "<row>",
                f"could not be processed ({type(exc).__name__}); please report this",
                keys.get("row"),
                keys.get("column"),
            )

    def _map(self, raw: RawRow, keys: dict[str, str]) -> MappedRow:
        row = raw.fields
        key_values, key_error = self._key_values(row)
        if key_error is None and key_values:  # known before anything else can reject the row
            keys["column"] = _mac(self._secret, b"\x1f".join([b"columns", *key_values]))
        self._check_lengths(row)
        ident = self._identity(row)
        if key_error is None:
            keys["row"] = _mac(self._secret, b"\x1f".join([ident, *key_values]))
        self._check_as_of(row)
        facts, occurred_at = self._facts_of(raw)
        if key_error is not None:
            raise key_error
        digest = facts_digest(facts, occurred_at if self._delta else None)
        return MappedRow(
            raw.line,
            keys["row"],
            facts,
            digest,
            occurred_at,
            ident,
            self.subject_key(ident),
            keys.get("column", ""),
        )
