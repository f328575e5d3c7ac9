"""Joint action proposals the hub sends to coordinators, and their retraction."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.models._base import BuurtCode, ContractModel, HhRef, OpaqueRef, RuleId
from schemas.models.enums import Domain, Priority, RetractionReason, SignalKind, SuggestedAction

__all__ = ["ContributingSignal", "JointActionProposal", "ProposalRetraction"]


class ContributingSignal(ContractModel):
    """A signal that made a rule fire: which domain and kind, since when; no details."""

    avro_name: ClassVar[str] = "ContributingSignal"

    domain: Domain = Field(description="Domain of the signal.")
    kind: SignalKind = Field(description="Kind of the signal.")
    since: date = Field(description="Date the signalled situation began.")


class JointActionProposal(ContractModel):
    """A proposal to the coordinator for a joint action with a consenting household."""

    avro_name: ClassVar[str] = "JointActionProposal"

    proposal_id: UUID = Field(
        description="Deterministic id derived from (household, rule, episode), so a replay "
        "gives the same id. Also the CloudEvents id."
    )
    created_at: AwareDatetime = Field(description="Event time at which the rule fired (UTC).")
    hh_ref: HhRef = Field(description="Household pseudonym; also the Kafka key.")
    intake_ref: OpaqueRef = Field(
        description="The gemeente's intake reference from the consent record; the coordinator "
        "re-identifies the household with it in the gemeente's own case system."
    )
    buurt_code: BuurtCode | None = Field(default=None, description="CBS code of the buurt.")
    rule: RuleId = Field(description="Id of the rule that fired.")
    domains: tuple[Domain, ...] = Field(min_length=1, description="Domains with active signals.")
    signals: tuple[ContributingSignal, ...] = Field(
        min_length=1, description="The active signals that made the rule fire."
    )
    suggested_actions: tuple[SuggestedAction, ...] = Field(
        description="Actions the rule suggests; the coordinator decides."
    )
    priority: Priority = Field(description="How soon the proposal needs attention.")
    respond_by: date = Field(description="Date by which the coordinator should respond.")


class ProposalRetraction(ContractModel):
    """The hub withdraws a proposal it sent earlier."""

    avro_name: ClassVar[str] = "ProposalRetraction"

    proposal_id: UUID = Field(
        description="Id of the retracted proposal. Also the CloudEvents id: a proposal is "
        "retracted at most once."
    )
    retracted_at: AwareDatetime = Field(description="Event time of the retraction (UTC).")
    hh_ref: HhRef = Field(description="Household pseudonym; also the Kafka key.")
    reason: RetractionReason = Field(description="Why the proposal was retracted.")
