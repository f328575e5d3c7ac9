"""A hypothesis state machine over consent, signal and decision sequences of one household.

Invariants: no proposal without valid consent (with the joint_action purpose) at that event
time; a withdrawal purges the state (only the end marker, its time, stays) and retracts every
open proposal; an older consent record that arrives after the withdrawal changes nothing; the
same input gives the same outputs, also when every event is delivered twice (at-least-once).
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from schemas.models import (
    ConsentPurpose,
    ConsentStatus,
    Decision,
    JointActionProposal,
    ProposalRetraction,
    SignalStatus,
)
from streams.rules import (
    Ended,
    apply_decision,
    apply_event,
    decode_state,
    encode_state,
    load_rules,
)
from tests.unit.hub.factories import absence, arrears, consent, decision, work

BOOK = load_rules()
SIGNALS = {"wonen": arrears, "school": absence, "werk": work}


def replay(events, *, twice=False):
    raw, outputs = None, []
    for event in events:
        for _ in range(2 if twice else 1):
            state = decode_state(raw) if raw is not None else None
            apply = apply_event if hasattr(event, "payload") else apply_decision
            step = apply(state, event, BOOK)
            raw = encode_state(step.state) if step.state is not None else None
            outputs.extend(step.outputs)
    return raw, outputs


class Household(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.day = 0
        self.events: list = []
        self.raw: bytes | None = None
        self.outputs: list = []
        self.consent: tuple[int, int | None, bool] | None = None  # from, until, joint_action
        self.ended: int | None = None  # day the last consent ended
        self.open: set = set()

    def _apply(self, event) -> list:
        state = decode_state(self.raw) if self.raw is not None else None
        apply = apply_event if hasattr(event, "payload") else apply_decision
        step = apply(state, event, BOOK)
        self.raw = encode_state(step.state) if step.state is not None else None
        self.events.append(event)
        self.outputs.extend(step.outputs)
        for out in step.outputs:
            if isinstance(out, JointActionProposal):
                self.open.add(out.proposal_id)
            elif isinstance(out, ProposalRetraction):
                self.open.discard(out.proposal_id)
        return list(step.outputs)

    @rule(days=st.integers(0, 45))
    def wait(self, days: int) -> None:
        self.day += days

    @rule(
        valid_days=st.none() | st.integers(5, 120),
        joint=st.booleans(),
        renewed=st.booleans(),
    )
    def give_consent(self, valid_days, joint, renewed) -> None:
        purposes = tuple(ConsentPurpose) if joint else (ConsentPurpose.EARLY_SIGNALLING,)
        status = ConsentStatus.RENEWED if renewed else ConsentStatus.GIVEN
        event = consent(
            1, self.day, status, valid_days=valid_days, purposes=purposes, seq=len(self.events)
        )  # a new record each time (a repeated one would be a duplicate)
        self._apply(event)
        until = None if valid_days is None else self.day + valid_days
        self.consent = (self.day, until, joint)
        if not joint:
            self.open.clear()  # retracted: the household no longer wants a joint action

    @rule(status=st.sampled_from([ConsentStatus.WITHDRAWN, ConsentStatus.REVOKED,
                                  ConsentStatus.REFUSED, ConsentStatus.EXPIRED]))  # fmt: skip
    def end_consent(self, status) -> None:
        had_open = set(self.open)
        outputs = self._apply(consent(1, self.day, status, seq=len(self.events)))
        self.consent, self.ended = None, self.day
        assert self._purged(), "consent ended but state was kept"
        retracted = {o.proposal_id for o in outputs if isinstance(o, ProposalRetraction)}
        assert retracted == had_open, "every open proposal is retracted when consent ends"
        assert not any(isinstance(o, JointActionProposal) for o in outputs)

    @rule(
        domain=st.sampled_from(sorted(SIGNALS)),
        status=st.sampled_from(list(SignalStatus)),
        eviction=st.booleans(),
    )
    def signal(self, domain, status, eviction) -> None:
        if domain == "wonen":
            event = arrears(1, self.day, status, eviction=eviction)
        else:
            event = SIGNALS[domain](1, self.day, status)
        outputs = self._apply(event)
        for out in outputs:
            if isinstance(out, JointActionProposal):
                assert self.consent is not None, "proposal without consent"
                start, until, joint = self.consent
                assert joint, "proposal without the joint_action purpose"
                assert start <= self.day, "proposal before the consent was valid"
                assert until is None or self.day <= until, "proposal after the consent expired"

    @precondition(
        lambda self: (
            self.ended is not None
            and self.consent is None
            and self.day < self.ended + BOOK.grace_days
        )
    )
    @rule(earlier=st.integers(1, 30))
    def older_consent_arrives_late(self, earlier: int) -> None:
        assert self.ended is not None
        day = self.ended - earlier  # registered before the end, processed after it
        late = consent(1, day, valid_from=day, seq=len(self.events))
        state = decode_state(self.raw) if self.raw is not None else None
        step = apply_event(state, late, BOOK)
        assert step.outcome == "stale"
        assert step.outputs == ()
        self._apply(late)
        assert self._purged()

    def _purged(self) -> bool:
        return self.raw is None or isinstance(decode_state(self.raw), Ended)

    @precondition(lambda self: bool(self.open))
    @rule(what=st.sampled_from(list(Decision)))
    def decide(self, what) -> None:
        pid = sorted(self.open)[0]
        self._apply(decision(1, pid, self.day, what))
        self.open.discard(pid)

    @invariant()
    def no_state_without_consent(self) -> None:
        if self.consent is None:
            assert self._purged()

    @invariant()
    def state_is_small(self) -> None:
        assert self.raw is None or len(self.raw) < 1024

    def teardown(self) -> None:
        raw, outputs = replay(self.events)
        assert outputs == self.outputs, "the same input gives the same outputs"
        assert raw == self.raw
        _, twice = replay(self.events, twice=True)
        assert {o.proposal_id for o in twice if isinstance(o, JointActionProposal)} == {
            o.proposal_id for o in self.outputs if isinstance(o, JointActionProposal)
        }, "duplicates change nothing"


TestHousehold = Household.TestCase
TestHousehold.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
