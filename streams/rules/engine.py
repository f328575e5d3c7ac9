"""The rule engine: a pure function of (household state, event) to (new state, outputs).

No Faust here: the household agent decodes the table entry, calls :func:`apply_event` or
:func:`apply_decision`, stores the new state and sends the outputs. Semantics (see
docs/rules.md and DESIGN.md 'Correlation semantics'), all in event time:

* fail closed: a signal is kept only while the household has a valid consent (status given
  or renewed, purpose early_signalling, its domain in scope, the event's day within the
  validity); otherwise it is dropped and nothing about the household is stored;
* withdrawal, revocation, refusal or expiry purges the household and retracts its open
  proposal; only an end marker (:class:`Ended`: when) stays, so that an older consent record
  arriving late is stale, until an event ``grace_days`` after the end drops the marker;
* a signal is active from ``since`` until resolved or ``signal_ttl_days`` after last seen;
* per household at most one proposal is open; a rule of higher precedence supersedes it; a
  decision closes it and starts a cooldown that only a new domain breaks;
* duplicates (a recent event id) and events older than the newest minus ``grace_days`` have
  no effect.

The state passed in may be modified and is returned; callers keep no other reference to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from schemas.models import (
    Consent,
    ConsentPurpose,
    ConsentStatus,
    CoordinatorDecision,
    Domain,
    HouseholdEvent,
    RentArrears,
    RetractionReason,
    SchoolAbsence,
    SignalKind,
    SignalStatus,
    WorkChange,
)
from streams.rules.book import Rule, RuleBook
from streams.rules.outputs import (
    Output,
    feedback_category,
    make_feedback,
    make_proposal,
    make_retraction,
)
from streams.rules.state import (
    DOMAIN_INDEX,
    DOMAINS,
    ConsentState,
    DecisionState,
    Ended,
    Household,
    ProposalState,
    SignalState,
    domain_mask,
    purpose_mask,
    short_id,
    signal_key,
)

__all__ = ["Step", "apply_decision", "apply_event"]

DAY = 86_400
_VALID = frozenset({ConsentStatus.GIVEN, ConsentStatus.RENEWED})


@dataclass(frozen=True, slots=True)
class Step:
    """The result of one event: the new state (``None``: keep nothing), outputs, outcome.

    ``outcome`` is a short word for the metrics and the batch log line: ``kept``,
    ``no_consent``, ``out_of_scope``, ``duplicate``, ``too_late``, ``purged``, ``consent``,
    ``stale``, ``decision`` or ``unknown_proposal``.
    """

    state: Household | Ended | None
    outputs: tuple[Output, ...]
    outcome: str


def _seconds(at: datetime) -> int:
    return int(at.timestamp())


def _day(at: datetime) -> int:
    return at.astimezone(UTC).date().toordinal()


_EPOCH_DAY = datetime(1970, 1, 1, tzinfo=UTC).date().toordinal()


def _day_of(t: int) -> int:
    """The UTC day ordinal of epoch second ``t`` (what :func:`_day` gives for its datetime)."""
    return _EPOCH_DAY + t // DAY


def _remember(hh: Household, event_id: UUID, book: RuleBook) -> bool:
    """Record ``event_id``; ``False`` when it was seen recently (a duplicate)."""
    sid = short_id(event_id)
    if sid in hh.recent:
        return False
    hh.recent.append(sid)
    del hh.recent[: -book.recent_ids]
    return True


def _match(
    hh: Household, t: int, day: int, book: RuleBook
) -> tuple[Rule, list[SignalState]] | None:
    """The rule of highest precedence whose condition holds now, and its active signals."""
    for rule in book.for_buurt(hh.buurt):
        window = rule.window_days * DAY
        active = [
            s
            for s in hh.signals.values()
            if s.since <= day and t - s.seen < window and hh.consent.domains >> s.domain & 1
        ]
        if len({s.domain for s in active}) < rule.min_domains:
            continue
        if rule.require_eviction_risk and not any(s.eviction for s in active):
            continue
        return rule, active
    return None


def _evaluate(
    hh_ref: str, hh: Household, at: datetime, book: RuleBook, reason: RetractionReason
) -> list[Output]:
    """Open, supersede or retract the household's proposal for the state at ``at``."""
    t = _seconds(at)
    day = _day_of(t)
    found = _match(hh, t, day, book) if hh.consent.allows(ConsentPurpose.JOINT_ACTION) else None
    out: list[Output] = []
    if hh.open is not None:
        if found is None:
            out.append(make_retraction(hh_ref, hh.open.proposal_id, reason, at))
            hh.open = None
            return out
        rule, _ = found
        if book.rank_of(rule.id) >= book.rank_of(hh.open.rule):
            return out  # the open proposal stands (no de-escalation)
        out.append(make_retraction(hh_ref, hh.open.proposal_id, RetractionReason.SUPERSEDED, at))
    elif found is None:
        return out
    else:
        rule, active = found
        mask = domain_mask(DOMAINS[s.domain] for s in active)
        cooling = hh.decided is not None and day < hh.decided.until
        if cooling and hh.decided is not None and not mask & ~hh.decided.domains:
            return out  # cooldown after a decision; only a new domain breaks it
        hh.episode += 1
    rule, active = found
    proposal = make_proposal(hh_ref, hh, rule, active, at)
    hh.open = ProposalState(proposal.proposal_id.hex, rule.id, domain_mask(proposal.domains), t)
    out.append(proposal)
    return out


def _purge(hh_ref: str, hh: Household | None, at: datetime, outcome: str) -> Step:
    ended = Ended(_seconds(at))
    if hh is not None and hh.open is not None:
        retraction = make_retraction(
            hh_ref, hh.open.proposal_id, RetractionReason.CONSENT_ENDED, at
        )
        return Step(ended, (retraction,), outcome)
    return Step(ended, (), outcome)


def _expire(hh: Household, t: int, book: RuleBook) -> None:
    ttl = book.signal_ttl_days * DAY
    for key in [k for k, s in hh.signals.items() if t - s.seen >= ttl]:
        del hh.signals[key]


def _apply_consent(
    hh_ref: str, hh: Household | None, event: HouseholdEvent, c: Consent, book: RuleBook
) -> Step:
    at, t, day = event.occurred_at, _seconds(event.occurred_at), _day(event.occurred_at)
    if hh is not None:
        if t < hh.consent.at:
            return Step(hh, (), "stale")  # a newer consent record was applied already
        if not _remember(hh, event.event_id, book):
            return Step(hh, (), "duplicate")
    valid_until = c.valid_until.toordinal() if c.valid_until else 0
    if (
        c.status not in _VALID
        or ConsentPurpose.EARLY_SIGNALLING not in c.purposes
        or (valid_until and day > valid_until)
    ):
        return _purge(hh_ref, hh, at, "purged" if hh is not None else "no_consent")
    consent = ConsentState(
        purpose_mask(c.purposes),
        domain_mask(c.domains),
        c.valid_from.toordinal(),
        valid_until,
        c.intake_ref,
        t,
    )
    if hh is None:
        hh = Household(consent=consent, buurt=event.buurt_code)
        _remember(hh, event.event_id, book)
        return Step(hh, (), "consent")
    hh.consent = consent  # consent has its own clock: it does not move ``latest``
    hh.buurt = event.buurt_code or hh.buurt
    for key in [k for k, s in hh.signals.items() if not consent.domains >> s.domain & 1]:
        del hh.signals[key]
    _expire(hh, t, book)
    return Step(
        hh, tuple(_evaluate(hh_ref, hh, at, book, RetractionReason.CONSENT_ENDED)), "consent"
    )


def _signal_state(event: HouseholdEvent, domain: Domain, t: int) -> tuple[str, SignalState]:
    p = event.payload
    if isinstance(p, SchoolAbsence):
        key, kind, eviction = signal_key(domain, p.pupil_ref, p.kind.value), p.kind.value, False
    elif isinstance(p, RentArrears):
        key, kind, eviction = signal_key(domain), SignalKind.RENT_ARREARS.value, p.eviction_risk
    else:
        assert isinstance(p, WorkChange)  # noqa: S101 - the caller routes consent elsewhere
        key, kind, eviction = signal_key(domain), p.kind.value, False
    state = SignalState(
        domain=DOMAIN_INDEX[domain],
        kind=kind,
        since=p.since.toordinal(),
        seen=t,
        eviction=eviction,
        event_id=event.event_id.hex,
    )
    return key, state


def _gate(hh: Household, event: HouseholdEvent, book: RuleBook, t: int) -> str | None:
    """Why a signal for a household with consent state is dropped, or ``None`` to apply it."""
    domain = event.domain
    assert domain is not None  # noqa: S101 - every non-consent payload has a domain
    if not hh.consent.valid_on(_day_of(t)):
        return "no_consent"
    if not hh.consent.domains >> DOMAIN_INDEX[domain] & 1:
        return "out_of_scope"
    if t < hh.latest - book.grace_days * DAY:
        return "too_late"
    if not _remember(hh, event.event_id, book):
        return "duplicate"
    return None


def _after_end(ended: Ended, event: HouseholdEvent, book: RuleBook) -> Step | None:
    """The step for an event after consent ended; ``None`` when the marker is done with."""
    t = _seconds(event.occurred_at)
    if isinstance(event.payload, Consent):
        return Step(ended, (), "stale") if t < ended.at else None  # older: too late to count
    return Step(ended, (), "no_consent") if t - ended.at < book.grace_days * DAY else None


def apply_event(hh: Household | Ended | None, event: HouseholdEvent, book: RuleBook) -> Step:
    """Apply one household event (a signal or a consent record) to the household's state."""
    hh_ref, at = event.hh_ref, event.occurred_at
    payload = event.payload
    if isinstance(hh, Ended):
        kept = _after_end(hh, event, book)
        if kept is not None:
            return kept
        hh = None  # a newer consent record, or the marker has served its time
    if isinstance(payload, Consent):
        return _apply_consent(hh_ref, hh, event, payload, book)
    if hh is None:
        return Step(None, (), "no_consent")
    t = _seconds(at)
    if hh.consent.valid_until and _day_of(t) > hh.consent.valid_until:
        return _purge(hh_ref, hh, at, "purged")  # consent expired: nothing more is kept
    dropped = _gate(hh, event, book, t)
    if dropped is not None:
        return Step(hh, (), dropped)
    hh.latest = max(hh.latest, t)
    hh.buurt = event.buurt_code or hh.buurt
    _expire(hh, t, book)
    assert event.domain is not None  # noqa: S101 - checked by _gate
    key, signal = _signal_state(event, event.domain, t)
    before = hh.signals.get(key)
    status = getattr(payload, "status", SignalStatus.OBSERVED)
    if before is None or before.seen <= t:
        if status is SignalStatus.RESOLVED:
            hh.signals.pop(key, None)
        else:
            hh.signals[key] = signal
    reason = (
        RetractionReason.SIGNALS_RESOLVED
        if status is SignalStatus.RESOLVED
        else RetractionReason.EXPIRED
    )
    return Step(hh, tuple(_evaluate(hh_ref, hh, at, book, reason)), "kept")


def apply_decision(
    hh: Household | Ended | None, decision: CoordinatorDecision, book: RuleBook
) -> Step:
    """Apply a coordinator's decision: close the proposal, start the cooldown, give feedback."""
    if not isinstance(hh, Household):
        return Step(hh, (), "unknown_proposal")
    pid = decision.proposal_id.hex
    if hh.open is not None and hh.open.proposal_id == pid:
        domains = hh.open.domains
    elif hh.decided is not None and hh.decided.proposal_id == pid:
        domains = hh.decided.domains  # a later decision on the same proposal (e.g. closed)
    else:
        return Step(hh, (), "unknown_proposal")
    if not _remember(hh, decision.decision_id, book):
        return Step(hh, (), "duplicate")
    until = _day(decision.decided_at) + book.cooldown_days
    hh.open = None
    hh.decided = DecisionState(pid, until, domains)
    outputs: tuple[Output, ...] = ()
    if hh.consent.allows(ConsentPurpose.FEEDBACK_TO_PARTNERS):
        category = feedback_category(decision.decision, decision.outcome)
        outputs = tuple(make_feedback(pid, domains, hh, category, decision.decided_at))
    return Step(hh, outputs, "decision")
