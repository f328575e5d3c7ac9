"""Consent: a household's consent, recorded by the gemeente at intake."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from schemas.models._base import ContractModel, IngestEnvelope, OpaqueRef, VersionTag
from schemas.models.enums import (
    ActorRole,
    CollectionMethod,
    ConsentPurpose,
    ConsentStatus,
    Domain,
)

__all__ = ["Consent", "ConsentRecord"]


class Consent(ContractModel):
    """The facts of a consent record, without envelope or identifier."""

    avro_name: ClassVar[str] = "Consent"

    status: ConsentStatus = Field(description="Consent status (W3C DPV).")
    purposes: tuple[ConsentPurpose, ...] = Field(
        min_length=1, description="Purposes the household consented to (or refused)."
    )
    domains: tuple[Domain, ...] = Field(
        min_length=1, description="Domains whose signals the consent covers."
    )
    valid_from: date = Field(description="First day the consent is valid.")
    valid_until: date | None = Field(
        default=None, description="Last day the consent is valid; none for open-ended."
    )
    notice_version: VersionTag = Field(
        description="Version of the consent notice shown to the household."
    )
    collection_method: CollectionMethod = Field(description="How the consent was collected.")
    recorded_by: ActorRole = Field(description="Role of the person who recorded the consent.")
    intake_ref: OpaqueRef = Field(
        description="The gemeente's own reference of the intake; lets the coordinator "
        "re-identify the household in the gemeente's case system. Opaque to the hub."
    )


class ConsentRecord(Consent, IngestEnvelope):
    """Ingest record of the gemeente: a household gave, refused or ended consent."""

    avro_name: ClassVar[str] = "ConsentRecord"
