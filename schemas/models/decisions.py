"""Coordinators' decisions on proposals."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.models._base import ContractModel, HhRef
from schemas.models.enums import ActorRole, Decision, DecisionOutcome

__all__ = ["CoordinatorDecision"]


class CoordinatorDecision(ContractModel):
    """A coordinator's decision on a proposal (key: ``hh_ref``)."""

    avro_name: ClassVar[str] = "CoordinatorDecision"

    decision_id: UUID = Field(
        description="Unique id of this decision, chosen by the deciding system; re-sending the "
        "same decision must reuse it. Also the CloudEvents id."
    )
    proposal_id: UUID = Field(description="Id of the proposal decided on.")
    hh_ref: HhRef = Field(description="Household pseudonym from the proposal; the Kafka key.")
    decided_at: AwareDatetime = Field(description="When the decision was taken (UTC).")
    decision: Decision = Field(description="The decision.")
    outcome: DecisionOutcome | None = Field(
        default=None, description="Outcome category, for a closed proposal."
    )
    decided_by: ActorRole = Field(description="Role of the person who decided.")
