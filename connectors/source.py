"""What every partner source has in common: its records, topics, transforms and mapping.

A partner package (``connectors/<partner>/``) subclasses :class:`PartnerSource` in its
``source.py``, naming the contract records it can publish and the partner-specific transforms
its mapping files may use (``mapping.py``); its ``config.py`` points at the sample mapping
files. Everything else — reading, validating, sealing, diffing, publishing — is the SDK's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from connectors.convert import Transform
from connectors.errors import MappingError
from connectors.mapping import MappingSpec, load_mapping
from connectors.reader import RawRow, read_rows
from schemas.models import ContractModel

__all__ = ["PartnerSource", "RecordTarget"]


@dataclass(frozen=True, slots=True)
class RecordTarget:
    """A contract record a partner publishes and its topic (relative to the prefix)."""

    model: type[ContractModel]
    topic: str


class PartnerSource:
    """A partner's exports, as one mapping file describes them."""

    partner: ClassVar[str]
    records: ClassVar[Mapping[str, RecordTarget]]
    transforms: ClassVar[Mapping[str, Transform]] = {}

    def __init__(self, spec: MappingSpec, path: Path | None = None) -> None:
        where = path or "mapping"
        if spec.source.partner != self.partner:
            raise MappingError(
                f"{where}: [source] partner is {spec.source.partner!r}; "
                f"this connector is {self.partner!r}"
            )
        if spec.source.record not in self.records:
            raise MappingError(
                f"{where}: [source] record {spec.source.record!r} is not published by the "
                f"{self.partner} connector; choose one of {', '.join(sorted(self.records))}"
            )
        self.spec = spec
        self.target = self.records[spec.source.record]

    @classmethod
    def from_file(cls, path: Path) -> PartnerSource:
        """Load and check a mapping file for this partner."""
        spec = load_mapping(path)
        source = cls(spec, path)
        load_mapping(path, source.target.model)  # checks the fields against the contract
        return source

    def rows(self, path: Path) -> Iterator[RawRow]:
        """The records of an export of this source; a header without the columns the mapping
        reads refuses the export (:class:`connectors.errors.ExportRefusedError`)."""
        return read_rows(
            path, self.spec.file.file_format(), required=frozenset(self.spec.columns())
        )
