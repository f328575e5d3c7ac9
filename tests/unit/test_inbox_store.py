"""The inbox's view store: idempotent projection by proposal_id, ordering, scoping.

The same test bodies run on SQLite and on a real PostgreSQL (``postgres`` marker; the server
comes from ``tests/conftest.py``), so the two stores cannot drift apart.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from inbox.errors import InboxConfigError
from inbox.projector import project
from inbox.store import Position, Visibility, open_store
from schemas.models import (
    ActorRole,
    CoordinatorDecision,
    Decision,
    Priority,
    ProposalRetraction,
    RetractionReason,
)
from tests.support.inbox import make_proposal

NOORD = Visibility(frozenset({"BU03630001"}))
CET = timezone(timedelta(hours=1))


def _decision(proposal, decision=Decision.ACCEPTED, decision_id=None, at=None):
    return CoordinatorDecision(
        decision_id=decision_id or uuid.uuid4(),
        proposal_id=proposal.proposal_id,
        hh_ref=proposal.hh_ref,
        decided_at=at or datetime(2026, 11, 5, tzinfo=UTC),
        decision=decision,
        decided_by=ActorRole.COORDINATOR,
    )


def _retraction(proposal, reason=RetractionReason.CONSENT_ENDED):
    return ProposalRetraction(
        proposal_id=proposal.proposal_id,
        retracted_at=datetime(2026, 11, 3, tzinfo=UTC),
        hh_ref=proposal.hh_ref,
        reason=reason,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def open_again(request, tmp_path):
    """Opens this test's store, again on every call: a SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        url, password = f"sqlite:///{tmp_path / 'inbox.sqlite3'}", None
    else:
        db = request.getfixturevalue("postgres_db")
        url, password = db.url, db.password
    opened = []

    def open_():
        opened.append(open_store(url, password=password))
        return opened[-1]

    yield open_
    for s in opened:
        s.close()


@pytest.fixture
def store(open_again):
    return open_again()


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
    project(store, _retraction(retracted))  # before its proposal: must still win
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


def test_store_survives_reopen(open_again):
    first = open_again()
    project(first, make_proposal("a"), Position("t", 0, 4))
    project(first, _retraction(make_proposal("b")), Position("t", 1, 9))
    first.close()
    again = open_again()
    assert again.positions() == {("t", 0): 5, ("t", 1): 10}
    assert len(again.open_proposals(NOORD)) == 1


def test_sqlite_path_forms_open_the_same_file(tmp_path):
    path = str(tmp_path / "sub" / "inbox.sqlite3")
    first = open_store(f"sqlite:///{path}")
    project(first, make_proposal("a"), Position("t", 0, 4))
    first.close()
    again = open_store(path)
    assert again.positions() == {("t", 0): 5}
    again.close()


def test_change_and_position_are_one_transaction(store):
    project(store, make_proposal("a"), Position("t", 0, 1))
    too_far = Position("t", 0, 2**63 - 1)  # next offset 2**63 overflows a 64-bit column
    with pytest.raises(Exception, match=r"(?i)too large|out of range"):  # each driver its own
        project(store, make_proposal("b"), too_far)
    assert {r.proposal_id for r in store.open_proposals(NOORD)} == {make_proposal("a").proposal_id}
    assert store.positions() == {("t", 0): 2}


def test_replayed_proposal_refreshes_its_row(store):
    p = make_proposal("a", priority=Priority.LOW)
    other = make_proposal("b", priority=Priority.NORMAL)
    project(store, p)
    project(store, other)
    project(store, p.model_copy(update={"priority": Priority.URGENT}))
    listed = store.open_proposals(NOORD)
    assert [(r.proposal_id, r.priority) for r in listed] == [
        (p.proposal_id, Priority.URGENT),
        (other.proposal_id, Priority.NORMAL),
    ]
    detail = store.get(p.proposal_id)
    assert detail is not None
    assert detail.proposal.priority is Priority.URGENT


def test_first_retraction_wins(store):
    p = make_proposal("a")
    project(store, p)
    project(store, _retraction(p, RetractionReason.CONSENT_ENDED))
    project(store, _retraction(p, RetractionReason.SIGNALS_RESOLVED))
    detail = store.get(p.proposal_id)
    assert detail is not None
    assert detail.retraction is RetractionReason.CONSENT_ENDED


def test_ties_are_broken_by_created_at_in_time_then_proposal_id(store):
    day = date(2026, 11, 4)
    # 09:30+01:00 is 08:30 UTC: earlier than 09:00 UTC although its text sorts later
    later = make_proposal("later", respond_by=day, created_at=datetime(2026, 11, 1, 9, tzinfo=UTC))
    earlier = make_proposal(
        "earlier", respond_by=day, created_at=datetime(2026, 11, 1, 9, 30, tzinfo=CET)
    )
    same = datetime(2026, 11, 1, 10, tzinfo=UTC)
    twins = sorted(
        (make_proposal(f"twin-{i}", respond_by=day, created_at=same) for i in range(4)),
        key=lambda p: str(p.proposal_id),
    )
    for p in (*reversed(twins), later, earlier):
        project(store, p)
    order = [r.proposal_id for r in store.open_proposals(NOORD)]
    assert order == [p.proposal_id for p in (earlier, later, *twins)]


def test_decisions_come_back_in_time_order_and_in_utc(store):
    p = make_proposal("a")
    project(store, p)
    second = _decision(p, Decision.DECLINED, at=datetime(2026, 11, 5, 10, tzinfo=UTC))
    first = _decision(p, Decision.UNREACHABLE, at=datetime(2026, 11, 5, 10, 30, tzinfo=CET))
    project(store, second)
    project(store, first)
    detail = store.get(p.proposal_id)
    assert detail is not None
    assert [(d.decision_id, d.decision) for d in detail.decisions] == [
        (first.decision_id, Decision.UNREACHABLE),
        (second.decision_id, Decision.DECLINED),
    ]
    assert detail.decisions[0].decided_at == first.decided_at
    assert detail.decisions[0].decided_at.utcoffset() == timedelta(0)


def test_threads_share_one_store(store):
    proposals = [make_proposal(f"p{i}") for i in range(40)]
    errors = []

    def work(part):
        try:
            for i, p in enumerate(proposals[part::4]):
                project(store, p, Position("t", part, i))
                store.open_proposals(NOORD)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.open_proposals(NOORD)) == 40
    assert store.positions() == {("t", n): 10 for n in range(4)}


@pytest.mark.parametrize(
    "url", ["mysql://u:secret@db/inbox", "postgresql://u:secret@db/inbox", "postgres://u:secret@db"]
)
def test_unsupported_store_urls_and_passwords_are_refused_without_secrets(url):
    with pytest.raises(InboxConfigError) as info:
        open_store(url)
    assert "secret" not in str(info.value)
    assert "u:" not in str(info.value)
