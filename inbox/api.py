"""The JSON API (``/api/v1``), described by the app's OpenAPI document at ``/openapi.json``.

Each request authenticates with HTTP Basic (coordinator id and password from the coordinators
file); there is no cookie, so there is nothing for another site to ride on. Writes accept
``application/json`` only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from inbox.app import InboxContext
from inbox.coordinators import Coordinator
from inbox.service import decision_id_for
from inbox.store import DecisionView
from inbox.throttle import address_key
from schemas.models import (
    ContributingSignal,
    Decision,
    DecisionOutcome,
    Domain,
    Priority,
    RetractionReason,
    SuggestedAction,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["proposals"])
_basic = HTTPBasic(realm="wijkhub-inbox", auto_error=False)


class ProposalItem(BaseModel):
    """A proposal in the open list."""

    proposal_id: UUID
    buurt_code: str | None
    rule: str
    priority: Priority
    respond_by: date
    overdue: bool
    domains: list[Domain]


class ProposalOut(BaseModel):
    """One proposal, its explanation and what became of it."""

    proposal_id: UUID
    created_at: datetime
    intake_ref: str
    buurt_code: str | None
    rule: str
    domains: list[Domain]
    signals: list[ContributingSignal]
    suggested_actions: list[SuggestedAction]
    priority: Priority
    respond_by: date
    overdue: bool
    status: str
    retraction: RetractionReason | None
    decisions: list[DecisionOut]


class DecisionOut(BaseModel):
    """A recorded decision."""

    decision_id: UUID
    decision: Decision
    outcome: DecisionOutcome | None
    decided_at: datetime


class DecisionIn(BaseModel):
    """A decision to record; ``outcome`` is required with ``closed`` and only then."""

    decision: Decision
    outcome: DecisionOutcome | None = None


class DecisionResult(BaseModel):
    """The outcome of a decision request."""

    decision_id: UUID
    proposal_id: UUID
    new: bool


ProposalOut.model_rebuild()


def _ctx(request: Request) -> InboxContext:
    ctx: InboxContext = request.app.state.inbox
    return ctx


async def coordinator_from_basic(
    request: Request, credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> Coordinator:
    """The coordinator whose id and password came with the request; 401 otherwise, 429 (with
    ``Retry-After``) while login attempts for the account or from the address are throttled."""
    challenge = {"WWW-Authenticate": 'Basic realm="wijkhub-inbox"'}
    if credentials is None:
        raise HTTPException(401, "credentials required", headers=challenge)
    address = address_key(request.client.host if request.client else None)
    found = await _ctx(request).logins.authenticate(
        credentials.username, credentials.password, address
    )
    if found is None:
        raise HTTPException(401, "wrong coordinator id or password", headers=challenge)
    return found


Authenticated = Annotated[Coordinator, Depends(coordinator_from_basic)]


def _decision_out(d: DecisionView) -> DecisionOut:
    return DecisionOut(
        decision_id=d.decision_id, decision=d.decision, outcome=d.outcome, decided_at=d.decided_at
    )


@router.get("/proposals")
def list_proposals(request: Request, coordinator: Authenticated) -> list[ProposalItem]:
    """Open proposals in your buurten, most urgent first (priority, then respond-by)."""
    return [
        ProposalItem(
            proposal_id=row.summary.proposal_id,
            buurt_code=row.summary.buurt_code,
            rule=row.summary.rule,
            priority=row.summary.priority,
            respond_by=row.summary.respond_by,
            overdue=row.overdue,
            domains=[Domain(d) for d in row.summary.domains],
        )
        for row in _ctx(request).service.open_for(coordinator)
    ]


@router.get("/proposals/{proposal_id}", responses={404: {"description": "Not in your buurten"}})
def show_proposal(request: Request, proposal_id: UUID, coordinator: Authenticated) -> ProposalOut:
    """One proposal; the view is written to the audit trail first."""
    service = _ctx(request).service
    detail = service.view(coordinator, proposal_id)
    p = detail.proposal
    status = "open" if detail.is_open else ("retracted" if detail.retraction else "decided")
    return ProposalOut(
        proposal_id=p.proposal_id,
        created_at=p.created_at,
        intake_ref=p.intake_ref,
        buurt_code=p.buurt_code,
        rule=p.rule,
        domains=list(p.domains),
        signals=list(p.signals),
        suggested_actions=list(p.suggested_actions),
        priority=p.priority,
        respond_by=p.respond_by,
        overdue=service.is_overdue(detail),
        status=status,
        retraction=detail.retraction,
        decisions=[_decision_out(d) for d in detail.decisions],
    )


@router.post(
    "/proposals/{proposal_id}/decision",
    status_code=201,
    responses={
        200: {"description": "The same decision was already recorded (idempotent repeat)"},
        404: {"description": "Not in your buurten"},
        409: {"description": "Already decided otherwise, or retracted"},
        415: {"description": "Body is not application/json"},
        429: {"description": "Too many failed logins; wait Retry-After seconds"},
        503: {"description": "Kafka did not take the decision or its audit entry; retry"},
    },
)
def decide(
    request: Request,
    response: Response,
    proposal_id: UUID,
    body: DecisionIn,
    coordinator: Authenticated,
) -> DecisionResult:
    """Record a decision: it goes to ``decisions.v1`` and the proposal leaves the open list."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "send the decision as application/json")
    service = _ctx(request).service
    _, new = service.decide(coordinator, proposal_id, body.decision, body.outcome)
    if not new:
        response.status_code = 200

    return DecisionResult(
        decision_id=decision_id_for(proposal_id, body.decision, body.outcome),
        proposal_id=proposal_id,
        new=new,
    )
