"""The hub's internal household event: a signal or consent, keyed by the household pseudonym.

The hub's ingress turns every ingest record into a :class:`HouseholdEvent`: the sealed
identifier is gone, ``hh_ref`` stands in its place, and the facts travel unchanged in
``payload``.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator

from schemas.models._base import BuurtCode, ContractModel, HhRef, PartnerId
from schemas.models.consent import Consent, ConsentRecord
from schemas.models.enums import Domain
from schemas.models.school import SchoolAbsence, SchoolAbsenceSignal
from schemas.models.werk import WorkChange, WorkSignal
from schemas.models.wonen import RentArrears, RentArrearsSignal

__all__ = ["HouseholdEvent", "HouseholdPayload", "IngestRecord"]

HouseholdPayload = RentArrears | SchoolAbsence | WorkChange | Consent
"""What a household event carries: the facts of one ingest record."""

IngestRecord = RentArrearsSignal | SchoolAbsenceSignal | WorkSignal | ConsentRecord
"""Every record a partner publishes on an ingest topic."""

_PAYLOAD_TYPES = (RentArrears, SchoolAbsence, WorkChange, Consent)

_PAYLOAD_OF: dict[type[IngestRecord], type[HouseholdPayload]] = {
    RentArrearsSignal: RentArrears,
    SchoolAbsenceSignal: SchoolAbsence,
    WorkSignal: WorkChange,
    ConsentRecord: Consent,
}


class HouseholdEvent(ContractModel):
    """A signal or consent of one household, pseudonymised by the hub (key: ``hh_ref``)."""

    avro_name: ClassVar[str] = "HouseholdEvent"

    event_id: UUID = Field(description="The event_id of the ingest record this event came from.")
    occurred_at: AwareDatetime = Field(description="Event time of the ingest record (UTC).")
    source: PartnerId = Field(description="Id of the partner that published the ingest record.")
    hh_ref: HhRef = Field(
        description="Household pseudonym: key id, a colon, and the hex HMAC-SHA256 of the "
        "normalised address under the hub's pseudonym key. Also the Kafka key."
    )
    buurt_code: BuurtCode | None = Field(
        default=None, description="CBS code of the household's buurt, if known."
    )
    payload: HouseholdPayload = Field(
        description="The facts of the ingest record: a signal of one domain, or consent."
    )

    @field_validator("payload", mode="after")
    @classmethod
    def _facts_only(cls, payload: HouseholdPayload) -> HouseholdPayload:
        # an ingest record is a subclass of its facts: refuse it, or its sealed id would travel
        if type(payload) not in _PAYLOAD_TYPES:
            msg = (
                f"payload must be one of {', '.join(t.__name__ for t in _PAYLOAD_TYPES)}, "
                f"not {type(payload).__name__}; use HouseholdEvent.from_ingest(record, hh_ref=...)"
            )
            raise ValueError(msg)
        return payload

    @property
    def domain(self) -> Domain | None:
        """The domain of a signal payload; ``None`` for consent."""
        return getattr(type(self.payload), "domain", None)

    @classmethod
    def from_ingest(cls, record: IngestRecord, *, hh_ref: str) -> HouseholdEvent:
        """The household event for ``record``, with ``hh_ref`` in place of the sealed id."""
        payload_type = _PAYLOAD_OF[type(record)]
        facts = record.model_dump(include=set(payload_type.model_fields))
        return cls(
            event_id=record.event_id,
            occurred_at=record.occurred_at,
            source=record.source,
            hh_ref=hh_ref,
            buurt_code=record.buurt_code,
            payload=payload_type.model_validate(facts),
        )
