"""The inbox's Kafka parts on the real broker: projection into the store (resuming after a
restart), the JSONL and webhook sinks (retries, idempotence, commit after success), and the
``wijkhub proposals`` CLI against a running inbox."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from inbox.audit import Auditor
from inbox.projector import Projector
from inbox.publisher import KafkaEventPublisher
from inbox.sink import WebhookTarget, run_sink
from inbox.sink.runner import ExportAudit
from inbox.sink.targets import SinkError
from inbox.store import Visibility, open_store
from schemas.catalogue import ensure_topics
from schemas.logging import configure_logging
from schemas.models import (
    ActorRole,
    AuditAction,
    AuditEntry,
    CoordinatorDecision,
    Decision,
    Priority,
    ProposalRetraction,
    RetractionReason,
)
from tests.support.inbox import TEST_ACCOUNTS, make_proposal
from tests.support.inbox_kafka import publish_records, read_records, running_inbox

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _log_to_the_current_stderr():
    """An earlier test's ``main()`` under capsys may have left structlog on a closed stream."""
    configure_logging(force=True)


NOORD = Visibility(frozenset({"BU03630001"}))
A = make_proposal("kafka-a", priority=Priority.URGENT)
B = make_proposal("kafka-b")
C = make_proposal("kafka-c")


@pytest.fixture
def topics(kafka_settings):
    ensure_topics(kafka_settings)
    return kafka_settings


def _retraction(p):
    return ProposalRetraction(
        proposal_id=p.proposal_id,
        retracted_at=datetime(2026, 11, 3, tzinfo=UTC),
        hh_ref=p.hh_ref,
        reason=RetractionReason.SIGNALS_RESOLVED,
    )


def _decision(p):
    return CoordinatorDecision(
        decision_id=p.proposal_id,
        proposal_id=p.proposal_id,
        hh_ref=p.hh_ref,
        decided_at=datetime(2026, 11, 4, tzinfo=UTC),
        decision=Decision.DECLINED,
        decided_by=ActorRole.COORDINATOR,
    )


def _project_until_caught_up(settings, store):
    projector = Projector(settings, store, poll_ms=200)
    projector.start()
    try:
        assert projector.caught_up.wait(60), "the projector did not catch up"
        assert projector.error is None
    finally:
        projector.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """This test's view store: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'inbox.sqlite3'}", None
    db = request.getfixturevalue("postgres_db")
    return db.url, db.password


def test_projection_from_topics_resumes_after_restart(topics, store_url):
    url, password = store_url
    publish_records(topics, "proposals.v1", [A, B, A, C, _retraction(C)])
    publish_records(topics, "decisions.v1", [_decision(B)])
    store = open_store(url, password=password)
    _project_until_caught_up(topics, store)
    assert [r.proposal_id for r in store.open_proposals(NOORD)] == [A.proposal_id]
    before = store.positions()
    assert sum(before.values()) == 6  # five proposal-topic records and one decision
    store.close()

    publish_records(topics, "proposals.v1", [_retraction(A)])
    again = open_store(url, password=password)
    _project_until_caught_up(topics, again)
    assert again.open_proposals(NOORD) == []
    assert sum(again.positions().values()) == 7
    again.close()


class _Receiver(BaseHTTPRequestHandler):
    script: list[int]
    received: list[dict]

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.script.pop(0) if self.script else 200
        if status == 200:
            type(self).received.append(body)
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"script": [], "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_sink_retries_dedupes_and_commits_after_success(topics, tmp_path, receiver):
    handler, url = receiver
    publish_records(topics, "proposals.v1", [A, B, A, _retraction(B)])
    state = tmp_path / "delivered"

    handler.script[:] = [400]  # a permanent refusal: nothing is committed
    refused = WebhookTarget(url, state=state, backoff_s=0.01)
    with pytest.raises(SinkError, match="refused"):
        run_sink(topics, refused, group_id="g1", once=True)
    assert handler.received == []

    handler.script[:] = [503, 503]  # then two transient failures, retried with backoff
    target = WebhookTarget(url, state=state, backoff_s=0.01)
    publisher = KafkaEventPublisher(topics)
    audit = ExportAudit(Auditor(publisher, source="urn:nld:wijkhub:systeem:sink"), "sink-test")
    stats = run_sink(topics, target, group_id="g1", once=True, audit=audit)
    publisher.close()
    assert (stats.delivered, stats.duplicates) == (3, 1)
    assert target.attempts == 5
    kinds = [(e["type"], e["data"]["proposal_id"]) for e in handler.received]
    assert len(kinds) == len(set(kinds)) == 3
    assert all(e["specversion"] == "1.0" and e["source"] for e in handler.received)

    # the same group resumes after its committed offsets: nothing to do
    assert (
        run_sink(topics, WebhookTarget(url, state=state), group_id="g1", once=True).delivered == 0
    )
    # a new group replays the topic, but the state file knows what was delivered
    replay = run_sink(topics, WebhookTarget(url, state=state), group_id="g2", once=True)
    assert (replay.delivered, replay.duplicates) == (0, 4)
    assert len(handler.received) == 3

    exports = [e for e in read_records(topics, "audit.v1") if isinstance(e, AuditEntry)]
    assert sorted(e.object_id for e in exports) == sorted([str(A.proposal_id), str(B.proposal_id)])
    assert {e.action for e in exports} == {AuditAction.EXPORT}


def test_jsonl_sink_cli_is_idempotent(topics, kafka_env, tmp_path):
    publish_records(topics, "proposals.v1", [A, B, A])
    out = tmp_path / "case-system" / "proposals.jsonl"
    command = [sys.executable, "-m", "schemas.cli", "sink", "jsonl", "--out", str(out), "--once"]
    first = subprocess.run(
        [*command, "--group", "j1"],
        env=kafka_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "delivered 2, duplicates 1" in first.stdout
    second = subprocess.run(
        [*command, "--group", "j2"],
        env=kafka_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "delivered 0, duplicates 3" in second.stdout
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    # partitions interleave, so compare as sets: each proposal exactly once
    assert sorted(e["data"]["proposal_id"] for e in lines) == sorted(
        [str(A.proposal_id), str(B.proposal_id)]
    )
    assert all(e["id"] == e["data"]["proposal_id"] for e in lines)
    assert all(e["type"].startswith("nl.") for e in lines)


def test_proposals_cli_against_a_running_inbox(topics, kafka_env, tmp_path):
    publish_records(topics, "proposals.v1", [A, B])
    with running_inbox(kafka_env, tmp_path) as base:
        _use_the_cli(topics, kafka_env, base)


def _use_the_cli(topics, kafka_env, base):
    env = {
        **kafka_env,
        "WIJKHUB_INBOX_URL": base,
        "WIJKHUB_INBOX_USER": "coord-noord",
        "WIJKHUB_INBOX_PASSWORD": TEST_ACCOUNTS["coord-noord"][0],
    }

    def cli(*args, check=True):
        return subprocess.run(
            [sys.executable, "-m", "schemas.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    listed = json.loads(cli("proposals", "list", "--json").stdout)
    assert [p["proposal_id"] for p in listed] == [str(A.proposal_id), str(B.proposal_id)]
    shown = json.loads(cli("proposals", "show", str(A.proposal_id), "--json").stdout)
    assert shown["intake_ref"] == A.intake_ref
    refused = cli("proposals", "decide", str(A.proposal_id), "closed", check=False)
    assert refused.returncode == 1
    assert "422" in refused.stderr
    assert "recorded" in cli("proposals", "decide", str(A.proposal_id), "accepted").stdout
    assert "already recorded" in cli("proposals", "decide", str(A.proposal_id), "accepted").stdout
    left = json.loads(cli("proposals", "list", "--json").stdout)
    assert [p["proposal_id"] for p in left] == [str(B.proposal_id)]
    wrong = subprocess.run(
        [sys.executable, "-m", "schemas.cli", "proposals", "list"],
        env={**env, "WIJKHUB_INBOX_PASSWORD": "wrong"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 1
    assert "401" in wrong.stderr
    decisions = [
        d for d in read_records(topics, "decisions.v1") if isinstance(d, CoordinatorDecision)
    ]
    assert [d.decision for d in decisions] == [Decision.ACCEPTED]
