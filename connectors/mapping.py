"""Declarative mapping files: how a partner's export becomes a contract record.

A mapping file is TOML (read with the standard library's ``tomllib``); an integrator adapts
it to their own export without writing code. See ``docs/connectors.md`` for every key and the
sample files under ``connectors/<partner>/``. The file is checked against the contract model
when it is loaded, so a typo is a clear error before any row is read.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.errors import MappingError
from connectors.plausible import BOUND_PATTERN
from connectors.reader import FileFormat

__all__ = ["ENVELOPE_FIELDS", "FieldSpec", "MappingSpec", "load_mapping"]

ENVELOPE_FIELDS = frozenset({"event_id", "occurred_at", "source", "sealed_subject"})
"""Fields the connector fills in itself; a mapping may not map them (except occurred_at)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    """``[source]``: who publishes, and whether the export is a snapshot or a delta."""

    partner: Literal["corporation", "school", "gemeente"]
    record: str = Field(description="Contract record, e.g. RentArrearsSignal.")
    partner_id: str = Field(description="The partner's id in the hub (envelope ``source``).")
    ce_source: str = Field(pattern=r"^urn:nld:", description="CloudEvents source URN.")
    kind: Literal["snapshot", "delta"] = "snapshot"
    refresh_days: int = Field(default=30, ge=1, le=366)
    as_of_column: str | None = None
    as_of_formats: tuple[str, ...] = ("%Y-%m-%d",)
    as_of_file_name: str | None = Field(
        default=None,
        description="Regular expression finding the export date in the file name, with "
        "named groups year, month and (optional) day, e.g. '(?P<year>\\d{4})-(?P<month>\\d{2})'.",
    )
    max_resolved_percent: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Refuse a snapshot that would resolve more than this share of the "
        "previous snapshot's rows (from 20 rows on): a truncated export, not a good month.",
    )

    @field_validator("as_of_file_name")
    @classmethod
    def _groups(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        try:
            groups = set(re.compile(pattern).groupindex)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        if not {"year", "month"} <= groups:
            raise ValueError("needs the named groups (?P<year>...) and (?P<month>...)")
        return pattern


class FileSpec(_Strict):
    """``[file]``: the export's layout."""

    format: Literal["csv", "jsonl"] = "csv"
    encoding: Literal["utf-8", "windows-1252"] = "utf-8"
    delimiter: str = Field(default="auto", pattern=r"^(auto|.)$")
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    earliest: str = Field(default="-100y", pattern=BOUND_PATTERN)
    """Default plausibility window of date fields (see :mod:`connectors.plausible`)."""
    latest: str = Field(default="+100y", pattern=BOUND_PATTERN)

    def file_format(self) -> FileFormat:
        """The reader's view of this section."""
        return FileFormat(format=self.format, encoding=self.encoding, delimiter=self.delimiter)


class IdentitySpec(_Strict):
    """``[identity]``: the address columns (the household identifier)."""

    postcode: str
    house_number: str
    addition: str | None = None


class RowKeySpec(_Strict):
    """``[row_key]``: columns that, with the address, identify a row across exports."""

    columns: tuple[str, ...] = ()


class FieldSpec(_Strict):
    """``[fields.<contract field>]``: where a contract field comes from and how to convert it."""

    column: str | None = None
    constant: Any = None
    type: Literal["str", "int", "date", "datetime", "bool", "list"] = "str"
    formats: tuple[str, ...] = ()
    values: dict[str, Any] | None = None
    transform: str | None = None
    separator: str = ","
    optional: bool = False
    earliest: str | None = Field(default=None, pattern=BOUND_PATTERN)
    """Earliest plausible date: ISO date, or offset from the export date (``-30y``)."""
    latest: str | None = Field(default=None, pattern=BOUND_PATTERN)
    """Latest plausible date: ISO date, or offset from the export date (``+0d``)."""

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        if (self.column is None) == (self.constant is None):
            raise ValueError("give exactly one of 'column' or 'constant'")
        return self


class MappingSpec(_Strict):
    """A whole mapping file."""

    source: SourceSpec
    file: FileSpec = FileSpec()
    identity: IdentitySpec
    row_key: RowKeySpec = RowKeySpec()
    fields: dict[str, FieldSpec]

    @model_validator(mode="after")
    def _delta_identity(self) -> MappingSpec:
        if self.source.kind == "delta" and "occurred_at" not in self.fields:
            raise ValueError(
                "a delta mapping must map occurred_at (when the row was registered): it is "
                "part of each event's identity, so a re-registration is a new event"
            )
        return self

    def columns(self) -> set[str]:
        """Every export column the mapping reads."""
        cols = {self.identity.postcode, self.identity.house_number}
        cols |= {c for c in (self.identity.addition, self.source.as_of_column) if c}
        cols |= set(self.row_key.columns)
        cols |= {f.column for f in self.fields.values() if f.column}
        return cols


def _check_against_model(spec: MappingSpec, model: type[BaseModel], path: Path) -> None:
    known = set(model.model_fields)
    mapped = set(spec.fields)
    unknown = mapped - known
    if unknown:
        raise MappingError(
            f"{path}: [fields] {', '.join(sorted(unknown))} are not fields of "
            f"{spec.source.record}; it has {', '.join(sorted(known - ENVELOPE_FIELDS))}"
        )
    reserved = mapped & (ENVELOPE_FIELDS - {"occurred_at"})
    if spec.source.kind == "snapshot":
        reserved |= mapped & {"status"}
    if reserved:
        raise MappingError(
            f"{path}: [fields] {', '.join(sorted(reserved))} are filled in by the connector; "
            "remove them from the mapping"
        )
    auto = ENVELOPE_FIELDS | ({"status"} if spec.source.kind == "snapshot" else set())
    missing = [
        name
        for name, info in model.model_fields.items()
        if info.is_required() and name not in mapped and name not in auto
    ]
    if missing:
        raise MappingError(
            f"{path}: [fields] must map {', '.join(missing)} (required by {spec.source.record})"
        )


def load_mapping(path: Path, model: type[BaseModel] | None = None) -> MappingSpec:
    """Read and check a mapping file; with ``model``, also check it covers that contract."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path}: not valid TOML ({exc})") from None
    try:
        spec = MappingSpec.model_validate(document)
    except ValidationError as exc:
        where = "; ".join(
            ".".join(str(p) for p in err["loc"]) + ": " + err["msg"]
            if err["loc"]
            else err["msg"].removeprefix("Value error, ")
            for err in exc.errors()
        )
        raise MappingError(f"{path}: {where}") from None
    if model is not None:
        _check_against_model(spec, model, path)
    return spec
