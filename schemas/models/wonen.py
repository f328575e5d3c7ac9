"""Wonen: rent arrears signalled by a housing corporation."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from schemas.models._base import ContractModel, IngestEnvelope
from schemas.models.enums import ArrearsBand, Domain, SignalStatus

__all__ = ["RentArrears", "RentArrearsSignal"]


class RentArrears(ContractModel):
    """The facts of a rent arrears signal, without envelope or identifier."""

    avro_name: ClassVar[str] = "RentArrears"
    domain: ClassVar[Domain] = Domain.WONEN

    status: SignalStatus = Field(description="Life cycle of the signal in the partner's export.")
    since: date = Field(description="Date the arrears began.")
    arrears_band: ArrearsBand = Field(description="Arrears in months of rent, as a band.")
    eviction_risk: bool = Field(
        description="True when an eviction procedure has started or is announced."
    )


class RentArrearsSignal(RentArrears, IngestEnvelope):
    """Ingest signal of a housing corporation: a household is in rent arrears."""

    avro_name: ClassVar[str] = "RentArrearsSignal"
