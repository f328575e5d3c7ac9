"""What the inbox keeps and reads: the view store's records and its interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from schemas.models import (
    CoordinatorDecision,
    Decision,
    DecisionOutcome,
    JointActionProposal,
    Priority,
    ProposalRetraction,
    RetractionReason,
)

__all__ = [
    "PRIORITY_RANK",
    "DecisionView",
    "Position",
    "ProposalDetail",
    "ProposalStore",
    "ProposalSummary",
    "Visibility",
]

PRIORITY_RANK = {Priority.URGENT: 4, Priority.HIGH: 3, Priority.NORMAL: 2, Priority.LOW: 1}


class Position(NamedTuple):
    """Where a record was read: its topic, partition and offset."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which proposals a coordinator may see: their buurten, and those without a buurt."""

    buurten: frozenset[str]
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    """A row of the open list."""

    proposal_id: UUID
    buurt_code: str | None
    rule: str
    priority: Priority
    respond_by: date
    created_at: datetime
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision recorded on a proposal."""

    decision_id: UUID
    decision: Decision
    outcome: DecisionOutcome | None
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class ProposalDetail:
    """A proposal with what became of it."""

    proposal: JointActionProposal
    retraction: RetractionReason | None = None
    decisions: tuple[DecisionView, ...] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        """Neither retracted nor decided."""
        return self.retraction is None and not self.decisions


class ProposalStore(Protocol):
    """What the inbox needs from a view store."""

    def apply_proposal(self, record: JointActionProposal, at: Position | None = None) -> None:
        """Insert or refresh a proposal (idempotent by proposal_id)."""

    def apply_retraction(self, record: ProposalRetraction, at: Position | None = None) -> None:
        """Record a retraction (idempotent by proposal_id; may precede its proposal)."""

    def apply_decision(self, record: CoordinatorDecision, at: Position | None = None) -> None:
        """Record a decision (idempotent by decision_id)."""

    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (topic, partition)."""

    def open_proposals(self, visibility: Visibility) -> list[ProposalSummary]:
        """Open proposals the coordinator may see, most urgent first."""

    def get(self, proposal_id: UUID) -> ProposalDetail | None:
        """One proposal with its retraction and decisions, or ``None``."""

    def close(self) -> None:
        """Release the store."""
