"""The pure rule engine: consent gate, rules, proposals, retractions, decisions, feedback."""

from __future__ import annotations

from datetime import date

import pytest

from schemas.models import (
    ConsentPurpose,
    ConsentStatus,
    Decision,
    DecisionOutcome,
    Domain,
    FeedbackCategory,
    JointActionProposal,
    PartnerFeedback,
    Priority,
    ProposalRetraction,
    RetractionReason,
    SignalKind,
    SignalStatus,
)
from streams.rules import (
    Ended,
    RuleError,
    apply_decision,
    apply_event,
    decode_state,
    encode_state,
    load_rules,
    parse_rules,
    proposal_id,
)
from streams.rules.outputs import add_working_days
from tests.unit.hub.factories import absence, arrears, at, consent, decision, hh_ref, work

BOOK = load_rules()


def run(events, book=BOOK):
    """Feed events through the engine, round-tripping the state through its wire form."""
    raw, outputs, outcomes = None, [], []
    for event in events:
        state = decode_state(raw) if raw is not None else None
        apply = apply_event if hasattr(event, "payload") else apply_decision
        step = apply(state, event, book)
        raw = encode_state(step.state) if step.state is not None else None
        outputs.extend(step.outputs)
        outcomes.append(step.outcome)
    return raw, outputs, outcomes


def proposals(outputs):
    return [o for o in outputs if isinstance(o, JointActionProposal)]


def test_signals_without_consent_are_dropped_and_nothing_is_kept():
    raw, outputs, outcomes = run([arrears(1, 0), absence(1, 1)])
    assert raw is None
    assert outputs == []
    assert outcomes == ["no_consent", "no_consent"]


def test_two_domains_with_consent_give_one_proposal_with_explanation():
    raw, outputs, _ = run([consent(1, 0), arrears(1, 1), absence(1, 2), work(1, 3)])
    (p,) = proposals(outputs)
    assert p.proposal_id == proposal_id(hh_ref(1), "multi_domain", 1)
    assert p.rule == "multi_domain"
    assert p.domains == (Domain.WONEN, Domain.SCHOOL)
    assert [s.kind for s in p.signals] == [SignalKind.RENT_ARREARS, SignalKind.UNAUTHORISED_16H_4W]
    assert p.intake_ref == "INT-000001"
    assert p.buurt_code == "BU03630001"
    assert p.priority is Priority.NORMAL
    assert p.respond_by == date(2026, 1, 3 + 28)
    assert raw is not None
    assert len(raw) < 1024


def test_eviction_risk_supersedes_and_responds_in_three_working_days():
    _, outputs, _ = run(
        [
            consent(1, 0),
            arrears(1, 1),
            absence(1, 2),
            arrears(1, 4, SignalStatus.UPDATED, eviction=True),
        ]
    )
    first, retraction, urgent = outputs
    assert isinstance(retraction, ProposalRetraction)
    assert retraction.proposal_id == first.proposal_id
    assert retraction.reason is RetractionReason.SUPERSEDED
    assert urgent.rule == "eviction_risk"
    assert urgent.priority is Priority.URGENT
    # 2026-01-05 is a Monday: three working days later is Thursday the 8th
    assert urgent.respond_by == date(2026, 1, 8)
    assert SignalKind.RENT_ARREARS_EVICTION_RISK in {s.kind for s in urgent.signals}


def ended_at(day: int) -> bytes:
    """The table value of a household whose consent ended on ``day``: when, nothing else."""
    return encode_state(Ended(int(at(day).timestamp())))


def test_withdrawal_purges_and_retracts():
    events = [consent(1, 0), arrears(1, 1), absence(1, 2), consent(1, 5, ConsentStatus.WITHDRAWN)]
    raw, outputs, outcomes = run(events)
    assert raw == ended_at(5)
    assert isinstance(outputs[-1], ProposalRetraction)
    assert outputs[-1].reason is RetractionReason.CONSENT_ENDED
    assert outcomes[-1] == "purged"
    raw, later, _ = run([*events, arrears(1, 6), absence(1, 7)])
    assert raw == ended_at(5)
    assert later == outputs


def test_withdrawal_before_an_older_consent_is_not_undone():
    withdrawn = consent(1, 5, ConsentStatus.WITHDRAWN)
    older = consent(1, 2, valid_from=2)  # registered before the withdrawal, arrives after it
    raw, outputs, outcomes = run([withdrawn, older, arrears(1, 6), absence(1, 7)])
    assert outcomes == ["no_consent", "stale", "no_consent", "no_consent"]
    assert (raw, outputs) == (ended_at(5), [])
    _, outputs, outcomes = run([withdrawn, consent(1, 8, seq=1), arrears(1, 9), absence(1, 9)])
    assert outcomes[1] == "consent"  # a newer consent counts
    assert len(proposals(outputs)) == 1


def test_the_end_marker_goes_after_grace_days():
    raw, _, outcomes = run([consent(1, 0, ConsentStatus.REFUSED), arrears(1, 13)])
    assert raw == ended_at(0)
    assert outcomes == ["no_consent", "no_consent"]
    raw, _, _ = run([consent(1, 0, ConsentStatus.REFUSED), arrears(1, BOOK.grace_days)])
    assert raw is None


def test_expired_consent_purges_at_the_next_event():
    raw, outputs, outcomes = run(
        [consent(1, 0, valid_days=10), arrears(1, 1), absence(1, 2), work(1, 20)]
    )
    assert raw == ended_at(20)
    assert outcomes[-1] == "purged"
    assert outputs[-1].reason is RetractionReason.CONSENT_ENDED


def test_consent_not_yet_valid_and_out_of_scope_domain_are_dropped():
    _, outputs, outcomes = run(
        [consent(1, 0, valid_from=10, domains=(Domain.WONEN, Domain.WERK)), arrears(1, 1),
         absence(1, 11), arrears(1, 12, SignalStatus.OBSERVED), work(1, 13)]
    )  # fmt: skip
    assert outcomes == ["consent", "no_consent", "out_of_scope", "kept", "kept"]
    assert [p.domains for p in proposals(outputs)] == [(Domain.WONEN, Domain.WERK)]


def test_no_joint_action_purpose_no_proposal():
    purposes = (ConsentPurpose.EARLY_SIGNALLING,)
    _, outputs, _ = run([consent(1, 0, purposes=purposes), arrears(1, 1), absence(1, 2)])
    assert outputs == []


def test_resolving_a_signal_retracts_and_duplicates_have_no_effect():
    events = [consent(1, 0), arrears(1, 1), absence(1, 2), absence(1, 2)]
    _, outputs, outcomes = run([*events, absence(1, 9, SignalStatus.RESOLVED)])
    assert outcomes[3] == "duplicate"
    assert [type(o).__name__ for o in outputs] == ["JointActionProposal", "ProposalRetraction"]
    assert outputs[1].reason is RetractionReason.SIGNALS_RESOLVED


def test_signal_expires_after_ttl_and_a_late_event_is_ignored():
    _, outputs, outcomes = run(
        [consent(1, 0), arrears(1, 1), absence(1, 95), arrears(1, 60, SignalStatus.OBSERVED)]
    )
    # the arrears were last seen on day 1: expired on day 95, so no proposal then
    assert proposals(outputs) == []
    assert outcomes[-1] == "too_late"


def test_decision_starts_cooldown_gives_feedback_and_new_domain_breaks_it():
    events = [consent(1, 0), arrears(1, 1), absence(1, 2)]
    _, outputs, _ = run(events)
    pid = outputs[0].proposal_id
    closed = decision(1, pid, 3, Decision.CLOSED, DecisionOutcome.SUPPORT_STARTED)
    again = [absence(1, 10, SignalStatus.RESOLVED), absence(1, 12, pupil="p2")]
    _, outputs, outcomes = run([*events, closed, *again])
    feedback = [o for o in outputs if isinstance(o, PartnerFeedback)]
    assert {f.domain for f in feedback} == {Domain.WONEN, Domain.SCHOOL}
    assert {f.category for f in feedback} == {FeedbackCategory.SUPPORT_STARTED}
    assert outcomes[3] == "decision"
    assert len(proposals(outputs)) == 1  # cooldown: same domains again make no proposal
    _, outputs, _ = run([*events, closed, work(1, 20)])
    assert [p.proposal_id for p in proposals(outputs)][-1] == proposal_id(
        hh_ref(1), "multi_domain", 2
    )


def test_unknown_decision_is_ignored():
    _, outputs, outcomes = run([consent(1, 0), decision(1, proposal_id(hh_ref(1), "x", 1), 1)])
    assert outputs == []
    assert outcomes[-1] == "unknown_proposal"


def test_scoped_rule_variant_wins_for_its_gemeente():
    book = parse_rules(
        """
        [[rule]]
        id = "multi_domain"
        min_domains = 2
        window_days = 90
        priority = "normal"
        respond_days = 28
        suggested_actions = ["case_conference"]

        [[rule]]
        id = "multi_domain"
        scope = "GM0363"
        min_domains = 3
        window_days = 90
        priority = "high"
        respond_days = 14
        suggested_actions = ["case_conference"]
        """
    )
    _, outputs, _ = run([consent(1, 0), arrears(1, 1), absence(1, 2)], book)
    assert outputs == []  # the household's buurt is in GM0363: three domains needed
    _, outputs, _ = run([consent(1, 0), arrears(1, 1), absence(1, 2), work(1, 3)], book)
    assert proposals(outputs)[0].priority is Priority.HIGH


def test_bad_rule_files_say_what_is_wrong():
    with pytest.raises(RuleError, match="respond_days"):
        parse_rules('[[rule]]\nid="x"\nmin_domains=2\nwindow_days=9\npriority="low"\n'
                    'suggested_actions=[]\n')  # fmt: skip
    with pytest.raises(RuleError, match="unknown key"):
        parse_rules('[[rule]]\nid="x"\ncolour="red"\n')


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 1, 2), 3) == date(2026, 1, 7)  # Fri → Wed
