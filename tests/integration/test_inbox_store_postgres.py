"""The PostgreSQL view store on a real server: what only a server can show.

The behaviour both stores share is tested once, on both, in ``tests/unit/test_inbox_store.py``.
"""

from __future__ import annotations

import threading

import pytest
from pydantic import SecretStr

from inbox.errors import StoreUnavailableError
from inbox.projector import project
from inbox.store import Position, PostgresStore, Visibility, open_store
from tests.support.inbox import make_proposal

pytestmark = pytest.mark.postgres

NOORD = Visibility(frozenset({"BU03630001"}))


def _open(db):
    return open_store(db.url, password=db.password)


def test_reconnects_after_the_server_ends_the_session(postgres_db):
    store = _open(postgres_db)
    try:
        project(store, make_proposal("a"), Position("t", 0, 0))
        with postgres_db.connect() as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'wijkhub-inbox' AND pid <> pg_backend_pid()"
            ).fetchall()
        assert ended == [(True,)]
        project(store, make_proposal("b"), Position("t", 0, 1))  # a write, on a new session
        assert len(store.open_proposals(NOORD)) == 2
        assert store.positions() == {("t", 0): 2}
    finally:
        store.close()


def test_inboxes_sharing_a_database_agree(postgres_db):
    proposals = [make_proposal(f"p{i}") for i in range(30)]
    stores, errors = [], []
    barrier = threading.Barrier(3)

    def inbox():
        try:
            barrier.wait()
            store = _open(postgres_db)  # all three create the tables at the same moment
            stores.append(store)
            for offset, p in enumerate(proposals):
                project(store, p, Position("t", 0, offset))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=inbox) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        for store in stores:
            assert len(store.open_proposals(NOORD)) == 30
            assert store.positions() == {("t", 0): 30}
    finally:
        for store in stores:
            store.close()


def test_postgres_scheme_and_typed_columns(postgres_db):
    store = open_store(
        postgres_db.url.replace("postgresql://", "postgres://", 1), password=postgres_db.password
    )
    assert isinstance(store, PostgresStore)
    store.close()
    with postgres_db.connect() as admin:
        types = dict(
            admin.execute(
                "SELECT table_name || '.' || column_name, data_type "
                "FROM information_schema.columns WHERE table_schema = %s",
                (postgres_db.schema,),
            ).fetchall()
        )
    assert types["proposals.proposal_id"] == "uuid"
    assert types["decisions.decided_at"] == "timestamp with time zone"
    assert types["proposals.respond_by"] == "date"
    assert types["positions.next_offset"] == "bigint"


def test_wrong_password_is_reported_without_it(postgres_db):
    if postgres_db.password is None:
        pytest.skip("WIJKHUB_TEST_POSTGRES_URL has no password to get wrong")
    wrong = "not-the-password-" + "x" * 8
    with pytest.raises(StoreUnavailableError, match="cannot be reached") as info:
        open_store(postgres_db.url, password=SecretStr(wrong))
    assert wrong not in str(info.value)
    assert "password authentication failed" in str(info.value)


def test_unreachable_server_is_a_clear_error():
    with pytest.raises(StoreUnavailableError) as info:
        PostgresStore("postgresql://inbox@127.0.0.1:1/inbox", connect_timeout=2)
    assert "the inbox store at postgresql://127.0.0.1:1/inbox cannot be reached" in str(info.value)
