"""``wijkhub inbox serve`` as a real process on the real broker: a clean stop on SIGTERM, login
throttling under concurrent attempts, and repeated decisions in the audit trail."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from schemas.catalogue import ensure_topics
from schemas.logging import configure_logging
from schemas.models import AuditAction, AuditEntry, CoordinatorDecision, Decision
from tests.support.inbox import TEST_ACCOUNTS, make_proposal
from tests.support.inbox_kafka import api_call as call
from tests.support.inbox_kafka import inbox_process, publish_records, read_records

pytestmark = pytest.mark.integration

NOORD, NOORD_PASSWORD = "coord-noord", TEST_ACCOUNTS["coord-noord"][0]
A = make_proposal("lifecycle-a")
B = make_proposal("lifecycle-b")


@pytest.fixture(autouse=True)
def _log_to_the_current_stderr():
    """An earlier test's ``main()`` under capsys may have left structlog on a closed stream."""
    configure_logging(force=True)


@pytest.fixture
def topics(kafka_settings):
    ensure_topics(kafka_settings)
    publish_records(kafka_settings, "proposals.v1", [A, B])
    return kafka_settings


def _closing_line(log):
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    return next(line for line in lines if line.get("event") == "inbox stopped")


def test_sigterm_stops_the_inbox_cleanly(topics, kafka_env, tmp_path):
    with inbox_process(kafka_env, tmp_path) as inbox:
        assert call(inbox.url, f"/api/v1/proposals/{A.proposal_id}")[0] == 200
        assert inbox.store.with_name("inbox.sqlite3-wal").exists()  # open, in WAL mode
        inbox.proc.send_signal(signal.SIGTERM)
        assert inbox.proc.wait(timeout=30) == 0
    closing = _closing_line(inbox.log)
    assert closing["signal"] == "SIGTERM"
    for step in ("projector", "probe", "producer", "logins", "store"):
        assert closing[step] == "done", closing
    # SQLite folds the write-ahead log into the file when the last connection closes
    assert not inbox.store.with_name("inbox.sqlite3-wal").exists()
    views = [e for e in read_records(topics, "audit.v1") if isinstance(e, AuditEntry)]
    assert [(e.action, e.object_id) for e in views] == [(AuditAction.VIEW, str(A.proposal_id))]


def test_repeated_decisions_are_each_in_the_trail(topics, kafka_env, tmp_path):
    path = f"/api/v1/proposals/{A.proposal_id}/decision"
    with inbox_process(kafka_env, tmp_path) as inbox:
        assert call(inbox.url, path, body={"decision": "accepted"})[0] == 201
        assert call(inbox.url, path, body={"decision": "accepted"})[0] == 200
        assert call(inbox.url, path, body={"decision": "declined"})[0] == 409
    decided = read_records(topics, "decisions.v1")
    assert [d.decision for d in decided if isinstance(d, CoordinatorDecision)] == [
        Decision.ACCEPTED
    ]
    trail = [e for e in read_records(topics, "audit.v1") if isinstance(e, AuditEntry)]
    assert [(e.action, e.actor_id, e.object_id) for e in trail] == [
        (AuditAction.DECIDE, NOORD, str(A.proposal_id))
    ] * 3
    assert len({e.entry_id for e in trail}) == 3


def _at_once(requests):
    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(lambda r: r(), requests))


def test_login_throttle_holds_under_concurrency(topics, kafka_env, tmp_path):
    attacker, user, sprayer = "203.0.113.7", "198.51.100.20", "203.0.113.99"
    trusted = {"WIJKHUB_INBOX_TRUSTED_PROXIES": "127.0.0.1"}  # the test plays the proxy
    with inbox_process(kafka_env, tmp_path, extra_env=trusted) as inbox:
        # forty at once from one address, the right password at position 31
        passwords = ["wrong"] * 30 + [NOORD_PASSWORD] + ["wrong"] * 9
        results = _at_once(
            [
                lambda p=p: call(inbox.url, "/api/v1/proposals", password=p, address=attacker)
                for p in passwords
            ]
        )
        statuses = [status for status, _, _ in results]
        assert (statuses.count(401), statuses.count(429)) == (5, 35)
        assert statuses[30] == 429
        assert {headers["Retry-After"] for s, _, headers in results if s == 429} == {"1"}
        # the real user elsewhere is not held back; at the attacker's address, after 1 s
        assert call(inbox.url, "/api/v1/proposals", address=user)[0] == 200
        time.sleep(1)
        assert call(inbox.url, "/api/v1/proposals", address=attacker)[0] == 200
        # sixty account names sprayed from one client meet the address limit
        sprayed = _at_once(
            [
                lambda n=n: call(inbox.url, "/api/v1/proposals", user=f"c-{n}", address=sprayer)
                for n in range(60)
            ]
        )
        statuses = [status for status, _, _ in sprayed]
        assert (statuses.count(401), statuses.count(429)) == (10, 50)


def test_forwarded_addresses_count_only_from_a_trusted_proxy(topics, kafka_env, tmp_path):
    with inbox_process(kafka_env, tmp_path) as inbox:  # no trusted proxies: the peer counts
        sprayed = _at_once(
            [
                lambda n=n: call(
                    inbox.url, "/api/v1/proposals", user=f"c-{n}", address=f"192.0.2.{n}"
                )
                for n in range(30)
            ]
        )
        statuses = [status for status, _, _ in sprayed]
        assert (statuses.count(401), statuses.count(429)) == (10, 20)
