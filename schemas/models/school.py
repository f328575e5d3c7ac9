"""School: absence signalled by a school (board)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from schemas.models._base import ContractModel, IngestEnvelope, OpaqueRef
from schemas.models.enums import AbsenceKind, Domain, SignalStatus

__all__ = ["SchoolAbsence", "SchoolAbsenceSignal"]


class SchoolAbsence(ContractModel):
    """The facts of a school absence signal, without envelope or identifier."""

    avro_name: ClassVar[str] = "SchoolAbsence"
    domain: ClassVar[Domain] = Domain.SCHOOL

    status: SignalStatus = Field(description="Life cycle of the signal in the partner's export.")
    since: date = Field(description="Date the absence began.")
    kind: AbsenceKind = Field(description="Kind of absence, after the Verzuimregister types.")
    pupil_ref: OpaqueRef = Field(
        description="Opaque reference the school assigns to the pupil, stable per pupil; "
        "never a student number, BSN or name. Lets several pupils of one household count apart."
    )


class SchoolAbsenceSignal(SchoolAbsence, IngestEnvelope):
    """Ingest signal of a school: a pupil of a household is absent."""

    avro_name: ClassVar[str] = "SchoolAbsenceSignal"
