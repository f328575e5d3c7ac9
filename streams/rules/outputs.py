"""What the rule engine emits: proposals, retractions and partner feedback, with stable ids.

Every id is derived from its inputs (UUIDv5), so processing an event twice, or replaying a
topic, emits the same records; consumers deduplicate by id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid5

from schemas.models import (
    ContributingSignal,
    Decision,
    DecisionOutcome,
    Domain,
    FeedbackCategory,
    JointActionProposal,
    Partner,
    PartnerFeedback,
    ProposalRetraction,
    RetractionReason,
    SignalKind,
)
from streams.rules.book import Rule
from streams.rules.state import DOMAINS, Household, SignalState, domain_mask, domains_of

__all__ = [
    "PROPOSAL_NAMESPACE",
    "Output",
    "add_working_days",
    "feedback_category",
    "make_feedback",
    "make_proposal",
    "make_retraction",
    "proposal_id",
    "respond_by",
]

PROPOSAL_NAMESPACE = UUID("6f1c1d1e-8a53-5b7e-9a55-77696a6b6875")
"""Namespace of every id the hub derives (proposals and feedback)."""

PARTNER_OF: dict[Domain, Partner] = {
    Domain.WONEN: Partner.CORPORATIE,
    Domain.SCHOOL: Partner.SCHOOL,
    Domain.WERK: Partner.GEMEENTE,
}
_SATURDAY = 5

Output = JointActionProposal | ProposalRetraction | PartnerFeedback


def proposal_id(hh_ref: str, rule: str, episode: int) -> UUID:
    """The id of the proposal of ``rule`` in the household's ``episode``-th episode."""
    return uuid5(PROPOSAL_NAMESPACE, f"proposal|{hh_ref}|{rule}|{episode}")


def add_working_days(start: date, days: int) -> date:
    """``start`` plus ``days`` working days (Monday to Friday; public holidays not known)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < _SATURDAY:
            days -= 1
    return day


def respond_by(rule: Rule, day: date) -> date:
    """When the coordinator should respond to a proposal of ``rule`` made on ``day``."""
    if rule.respond_working_days:
        return add_working_days(day, rule.respond_working_days)
    return day + timedelta(days=rule.respond_days)


def contributing_kind(signal: SignalState) -> SignalKind:
    """The kind shown in a proposal: rent arrears with eviction risk are their own kind."""
    if signal.eviction and DOMAINS[signal.domain] is Domain.WONEN:
        return SignalKind.RENT_ARREARS_EVICTION_RISK
    return SignalKind(signal.kind)


def make_proposal(
    hh_ref: str, hh: Household, rule: Rule, active: list[SignalState], at: datetime
) -> JointActionProposal:
    """The proposal of ``rule`` for the household's current episode."""
    signals = sorted(
        {(DOMAINS[s.domain], contributing_kind(s), date.fromordinal(s.since)) for s in active},
        key=lambda x: (DOMAINS.index(x[0]), x[1].value, x[2]),
    )
    return JointActionProposal(
        proposal_id=proposal_id(hh_ref, rule.id, hh.episode),
        created_at=at.astimezone(UTC),
        hh_ref=hh_ref,
        intake_ref=hh.consent.intake_ref,
        buurt_code=hh.buurt,
        rule=rule.id,
        domains=domains_of(domain_mask(DOMAINS[s.domain] for s in active)),
        signals=tuple(ContributingSignal(domain=d, kind=k, since=s) for d, k, s in signals),
        suggested_actions=rule.suggested_actions,
        priority=rule.priority,
        respond_by=respond_by(rule, at.astimezone(UTC).date()),
    )


def make_retraction(
    hh_ref: str, pid: str, reason: RetractionReason, at: datetime
) -> ProposalRetraction:
    """The retraction of proposal ``pid`` (hex)."""
    return ProposalRetraction(
        proposal_id=UUID(hex=pid), retracted_at=at.astimezone(UTC), hh_ref=hh_ref, reason=reason
    )


def feedback_category(decision: Decision, outcome: DecisionOutcome | None) -> FeedbackCategory:
    """The restricted category a partner hears for a coordinator's decision."""
    if decision is Decision.ACCEPTED:
        return FeedbackCategory.IN_PROGRESS
    if decision is Decision.CLOSED:
        if outcome is DecisionOutcome.SUPPORT_STARTED:
            return FeedbackCategory.SUPPORT_STARTED
        return FeedbackCategory.CLOSED
    return FeedbackCategory.NOT_TAKEN_UP


def make_feedback(
    pid: str,
    domains: int,
    hh: Household,
    category: FeedbackCategory,
    at: datetime,
) -> list[PartnerFeedback]:
    """Feedback per partner whose signals are in the decided proposal's domains."""
    out = []
    for domain in domains_of(domains):
        ids = sorted(
            {UUID(hex=s.event_id) for s in hh.signals.values() if DOMAINS[s.domain] is domain}
        )
        if not ids:
            continue  # the partner's signals were resolved since: nothing to tell it about
        partner = PARTNER_OF[domain]
        out.append(
            PartnerFeedback(
                feedback_id=uuid5(
                    PROPOSAL_NAMESPACE, f"feedback|{pid}|{partner.value}|{category.value}"
                ),
                sent_at=at.astimezone(UTC),
                partner=partner,
                domain=domain,
                signal_event_ids=tuple(ids),
                category=category,
            )
        )
    return out
