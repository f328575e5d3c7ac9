"""Werk: work and income changes signalled by the gemeente."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from schemas.models._base import ContractModel, IngestEnvelope
from schemas.models.enums import Domain, SignalStatus, WorkSignalKind

__all__ = ["WorkChange", "WorkSignal"]


class WorkChange(ContractModel):
    """The facts of a work signal, without envelope or identifier."""

    avro_name: ClassVar[str] = "WorkChange"
    domain: ClassVar[Domain] = Domain.WERK

    status: SignalStatus = Field(description="Life cycle of the signal in the partner's export.")
    since: date = Field(description="Date the change took effect.")
    kind: WorkSignalKind = Field(description="Kind of work or income change.")


class WorkSignal(WorkChange, IngestEnvelope):
    """Ingest signal of the gemeente: a work placement or benefit changed."""

    avro_name: ClassVar[str] = "WorkSignal"
