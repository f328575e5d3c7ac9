"""The inbox's view store: idempotent projection by proposal_id, ordering, scoping."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from schemas.models import (
    ActorRole,
    CoordinatorDecision,
    Decision,
    Priority,
    ProposalRetraction,
    RetractionReason,
)
from streams.inbox.errors import InboxConfigError
from streams.inbox.projector import project
from streams.inbox.store import Position, SqliteStore, Visibility, open_store
from streams.inbox.testing import make_proposal

NOORD = Visibility(frozenset({"BU03630001"}))


def _decision(proposal, decision=Decision.ACCEPTED, decision_id=None):
    return CoordinatorDecision(
        decision_id=decision_id or uuid.uuid4(),
        proposal_id=proposal.proposal_id,
        hh_ref=proposal.hh_ref,
        decided_at=datetime(2026, 11, 5, tzinfo=UTC),
        decision=decision,
        decided_by=ActorRole.COORDINATOR,
    )


@pytest.fixture
def store():
    s = SqliteStore(":memory:")
    yield s
    s.close()


def test_replayed_proposal_is_one_row(store):
    p = make_proposal("a")
    for offset in (0, 0, 7):
        project(store, p, Position("t.proposals.v1", 0, offset))
    assert [r.proposal_id for r in store.open_proposals(NOORD)] == [p.proposal_id]
    assert store.positions() == {("t.proposals.v1", 0): 8}


def test_positions_never_go_back(store):
    project(store, make_proposal("a"), Position("t", 1, 10))
    project(store, make_proposal("a"), Position("t", 1, 3))
    assert store.positions() == {("t", 1): 11}


def test_open_list_sorted_by_priority_then_respond_by(store):
    low = make_proposal("low", priority=Priority.LOW, respond_by=date(2026, 11, 1))
    late_urgent = make_proposal("u2", priority=Priority.URGENT, respond_by=date(2026, 11, 9))
    early_urgent = make_proposal("u1", priority=Priority.URGENT, respond_by=date(2026, 11, 4))
    high = make_proposal("high", priority=Priority.HIGH, respond_by=date(2026, 10, 1))
    for p in (low, late_urgent, early_urgent, high):
        project(store, p)
    order = [r.proposal_id for r in store.open_proposals(NOORD)]
    assert order == [p.proposal_id for p in (early_urgent, late_urgent, high, low)]


def test_only_own_buurten_are_listed(store):
    mine = make_proposal("mine", buurt_code="BU03630001")
    other = make_proposal("other", buurt_code="BU03630002")
    nowhere = make_proposal("nowhere", buurt_code=None)
    for p in (mine, other, nowhere):
        project(store, p)
    assert [r.proposal_id for r in store.open_proposals(NOORD)] == [mine.proposal_id]
    with_unassigned = Visibility(frozenset({"BU03630001"}), unassigned=True)
    assert {r.proposal_id for r in store.open_proposals(with_unassigned)} == {
        mine.proposal_id,
        nowhere.proposal_id,
    }
    assert store.open_proposals(Visibility(frozenset())) == []


def test_decision_and_retraction_close_a_proposal_in_any_order(store):
    decided, retracted = make_proposal("d"), make_proposal("r")
    retraction = ProposalRetraction(
        proposal_id=retracted.proposal_id,
        retracted_at=datetime(2026, 11, 3, tzinfo=UTC),
        hh_ref=retracted.hh_ref,
        reason=RetractionReason.CONSENT_ENDED,
    )
    project(store, retraction)  # before its proposal: must still win
    project(store, retracted)
    project(store, decided)
    d = _decision(decided)
    project(store, d)
    project(store, d)
    assert store.open_proposals(NOORD) == []
    detail = store.get(decided.proposal_id)
    assert detail is not None
    assert [x.decision_id for x in detail.decisions] == [d.decision_id]
    assert not detail.is_open
    gone = store.get(retracted.proposal_id)
    assert gone is not None
    assert gone.retraction is RetractionReason.CONSENT_ENDED


def test_get_unknown_is_none(store):
    assert store.get(uuid.uuid4()) is None


def test_project_ignores_other_records(store):
    assert project(store, object()) is False


def test_file_store_survives_reopen(tmp_path):
    path = str(tmp_path / "sub" / "inbox.sqlite3")
    first = open_store(f"sqlite:///{path}")
    project(first, make_proposal("a"), Position("t", 0, 4))
    first.close()
    again = open_store(path)
    assert again.positions() == {("t", 0): 5}
    assert len(again.open_proposals(NOORD)) == 1
    again.close()


@pytest.mark.parametrize("url", ["postgresql://u:secret@db/inbox", "mysql://x/y"])
def test_unsupported_store_urls_are_refused_without_secrets(url):
    with pytest.raises(InboxConfigError) as info:
        open_store(url)
    assert "secret" not in str(info.value)
