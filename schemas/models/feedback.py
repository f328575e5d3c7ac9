"""Restricted feedback to the partners whose signals led to a proposal."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.models._base import ContractModel
from schemas.models.enums import Domain, FeedbackCategory, Partner

__all__ = ["PartnerFeedback"]


class PartnerFeedback(ContractModel):
    """What a partner may know about the outcome for the signals it sent: a category."""

    avro_name: ClassVar[str] = "PartnerFeedback"

    feedback_id: UUID = Field(
        description="Deterministic id of this feedback (proposal, partner, category). Also "
        "the CloudEvents id."
    )
    sent_at: AwareDatetime = Field(description="When the hub produced the feedback (UTC).")
    partner: Partner = Field(description="The kind of partner the feedback is for.")
    domain: Domain = Field(description="Domain of the partner's signals.")
    signal_event_ids: tuple[UUID, ...] = Field(
        min_length=1,
        description="event_id of the partner's own signals this feedback is about; the "
        "partner maps them back to its own rows.",
    )
    category: FeedbackCategory = Field(description="Restricted outcome category.")
