"""What a coordinator can do, with buurt scoping and audit, shared by the pages and the API."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from inbox.audit import Auditor
from inbox.coordinators import Coordinator
from inbox.errors import InboxError, PublishFailedError
from inbox.publisher import EventPublisher
from inbox.store import ProposalDetail, ProposalStore, ProposalSummary, Visibility
from schemas.codec import encode
from schemas.models import AuditAction, CoordinatorDecision, Decision, DecisionOutcome

__all__ = [
    "DECISIONS_TOPIC",
    "DecisionConflictError",
    "DecisionInvalidError",
    "InboxService",
    "OpenProposal",
    "ProposalNotFoundError",
    "decision_id_for",
]

DECISIONS_TOPIC = "decisions.v1"
_NAMESPACE = uuid.UUID("6f0f3a7e-5b1c-4d0e-9a51-2f4c1b7f0d11")
_TZ = ZoneInfo("Europe/Amsterdam")


class ProposalNotFoundError(InboxError):
    """No such proposal, or not within the coordinator's buurten (indistinguishable)."""


class DecisionConflictError(InboxError):
    """The proposal was already decided otherwise, or was retracted."""


class DecisionInvalidError(InboxError):
    """The decision and outcome do not fit together."""


def decision_id_for(proposal_id: UUID, decision: Decision, outcome: DecisionOutcome | None) -> UUID:
    """Deterministic: the same decision on the same proposal always gets the same id."""
    return uuid.uuid5(_NAMESPACE, f"{proposal_id}/{decision.value}/{outcome or ''}")


@dataclass(frozen=True, slots=True)
class OpenProposal:
    """A row of a coordinator's open list, with its overdue mark."""

    summary: ProposalSummary
    overdue: bool


def _today() -> date:
    return datetime.now(_TZ).date()


def visibility(coordinator: Coordinator) -> Visibility:
    """The buurten a coordinator's account may see."""
    return Visibility(frozenset(coordinator.buurten), coordinator.see_unassigned)


class InboxService:
    """Lists, shows (audited) and decides (audited, published) proposals."""

    def __init__(
        self,
        store: ProposalStore,
        publisher: EventPublisher,
        auditor: Auditor,
        *,
        source: str,
        today: Callable[[], date] = _today,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        decide_wait_s: float = 10.0,
    ) -> None:
        self.store = store
        self._publisher = publisher
        self._auditor = auditor
        self._source = source
        self._today = today
        self._clock = clock
        self._decide_lock = threading.Lock()
        self._decide_wait_s = decide_wait_s

    def open_for(self, coordinator: Coordinator) -> list[OpenProposal]:
        """Open proposals in the coordinator's buurten, most urgent first."""
        today = self._today()
        return [
            OpenProposal(s, s.respond_by < today)
            for s in self.store.open_proposals(visibility(coordinator))
        ]

    def is_overdue(self, detail: ProposalDetail) -> bool:
        """Open and past its respond-by date."""
        return detail.is_open and detail.proposal.respond_by < self._today()

    def _visible(self, coordinator: Coordinator, proposal_id: UUID) -> ProposalDetail:
        detail = self.store.get(proposal_id)
        if detail is None or not coordinator.may_see(detail.proposal.buurt_code):
            raise ProposalNotFoundError(
                f"proposal {proposal_id} does not exist or is not in your buurten"
            )
        return detail

    def view(self, coordinator: Coordinator, proposal_id: UUID) -> ProposalDetail:
        """The proposal, after its view is in the audit trail (no trail, no view)."""
        detail = self._visible(coordinator, proposal_id)
        self._auditor.record(
            actor_id=coordinator.id,
            actor_role=coordinator.role,
            action=AuditAction.VIEW,
            proposal_id=proposal_id,
        )
        return detail

    def decide(
        self,
        coordinator: Coordinator,
        proposal_id: UUID,
        decision: Decision,
        outcome: DecisionOutcome | None,
    ) -> tuple[CoordinatorDecision | None, bool]:
        """Record a decision; returns it and whether it is new (``False``: a repeat)."""
        if decision is Decision.CLOSED and outcome is None:
            raise DecisionInvalidError("a closed proposal needs an outcome category")
        if decision is not Decision.CLOSED and outcome is not None:
            raise DecisionInvalidError("an outcome category goes with 'closed' only")
        decision_id = decision_id_for(proposal_id, decision, outcome)
        if not self._decide_lock.acquire(timeout=self._decide_wait_s):
            raise PublishFailedError(
                "other decisions are still waiting for Kafka; nothing was recorded, try again"
            )
        try:
            return self._decide(coordinator, proposal_id, decision, outcome, decision_id)
        finally:
            self._decide_lock.release()

    def _decide(
        self,
        coordinator: Coordinator,
        proposal_id: UUID,
        decision: Decision,
        outcome: DecisionOutcome | None,
        decision_id: UUID,
    ) -> tuple[CoordinatorDecision | None, bool]:
        """:meth:`decide` under the lock (one decision at a time: the 409 check holds)."""
        detail = self._visible(coordinator, proposal_id)
        repeat = any(d.decision_id == decision_id for d in detail.decisions)
        conflict = None
        if not repeat and detail.decisions:
            conflict = f"proposal {proposal_id} was already decided"
        elif not repeat and detail.retraction is not None:
            conflict = f"proposal {proposal_id} was retracted ({detail.retraction.value})"
        # Every decide request on a proposal the coordinator may see is in the trail
        # before it is answered: a new decision, a repeat of the recorded one, and one
        # refused as a conflict alike (decisions.v1 holds what took effect).
        self._auditor.record(
            actor_id=coordinator.id,
            actor_role=coordinator.role,
            action=AuditAction.DECIDE,
            proposal_id=proposal_id,
        )
        if repeat:
            return None, False  # a double submit: it is already recorded
        if conflict is not None:
            raise DecisionConflictError(conflict)
        record = CoordinatorDecision(
            decision_id=decision_id,
            proposal_id=proposal_id,
            hh_ref=detail.proposal.hh_ref,
            decided_at=self._clock(),
            decision=decision,
            outcome=outcome,
            decided_by=coordinator.role,
        )
        self._publisher.publish(
            DECISIONS_TOPIC,
            record.hh_ref.encode("ascii"),
            encode(record, source=self._source, time=record.decided_at),
        )
        self.store.apply_decision(record)
        return record, True
