"""The contracts on a real broker: topics from the catalogue, every record type through Kafka."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

import schemas
from schemas.catalogue import CATALOGUE, ensure_topics, topic_spec
from schemas.cli import main
from schemas.codec import decode, encode
from schemas.models import ContractModel
from schemas.settings import KafkaSettings

pytestmark = pytest.mark.integration

SOURCE = "urn:nld:kvknr:00000000.wijkhub-integration"
T = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
HH = "k1:" + "5e" * 32


@pytest.fixture
def topics(kafka_settings: KafkaSettings) -> Iterator[KafkaSettings]:
    """The catalogue's topics under this test's prefix, deleted afterwards."""
    yield kafka_settings
    admin = KafkaAdminClient(**kafka_settings.kafka_python_config())
    try:
        mine = [t for t in admin.list_topics() if t.startswith(f"{kafka_settings.topic_prefix}.")]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


def _envelope() -> dict[str, object]:
    return {"event_id": uuid4(), "occurred_at": T, "sealed_subject": bytes(range(88)),
            "buurt_code": "BU05990110"}  # fmt: skip


def _samples() -> dict[str, list[ContractModel]]:
    proposal_id = UUID("0d1e2f30-4152-4637-8899-aabbccddeeff")
    work = schemas.WorkChange(status="opened", since=date(2026, 5, 1), kind="benefit_started")
    return {
        "ingest.wonen.v1": [schemas.RentArrearsSignal(
            **_envelope(), source="corporatie-a", status="opened", since=date(2026, 4, 1),
            arrears_band="three_to_five_months", eviction_risk=True)],
        "ingest.school.v1": [schemas.SchoolAbsenceSignal(
            **_envelope(), source="school-b", status="updated", since=date(2026, 3, 9),
            kind="long_term_relative", pupil_ref="LL-7")],
        "ingest.werk.v1": [schemas.WorkSignal(
            **_envelope(), source="gemeente-c", status="opened", since=date(2026, 5, 1),
            kind="benefit_started")],
        "ingest.consent.v1": [schemas.ConsentRecord(
            **_envelope(), source="gemeente-c", status="given",
            purposes=["early_signalling", "joint_action"], domains=["wonen", "school", "werk"],
            valid_from=date(2026, 5, 1), valid_until=date(2027, 5, 1), notice_version="2026-01",
            collection_method="written", recorded_by="intake_officer", intake_ref="INT-42")],
        "household-events.v1": [schemas.HouseholdEvent(
            event_id=uuid4(), occurred_at=T, source="gemeente-c", hh_ref=HH, payload=work)],
        "proposals.v1": [
            schemas.JointActionProposal(
                proposal_id=proposal_id, created_at=T, hh_ref=HH, intake_ref="INT-42",
                buurt_code="BU05990110", rule="multi_domain", domains=["wonen", "werk"],
                signals=[{"domain": "wonen", "kind": "rent_arrears_eviction_risk",
                          "since": date(2026, 4, 1)},
                         {"domain": "werk", "kind": "benefit_started", "since": date(2026, 5, 1)}],
                suggested_actions=["kitchen_table_talk", "debt_counselling"], priority="urgent",
                respond_by=date(2026, 6, 4)),
            schemas.ProposalRetraction(
                proposal_id=proposal_id, retracted_at=T, hh_ref=HH, reason="consent_ended"),
        ],
        "decisions.v1": [schemas.CoordinatorDecision(
            decision_id=uuid4(), proposal_id=proposal_id, hh_ref=HH, decided_at=T,
            decision="closed", outcome="support_started", decided_by="coordinator")],
        "feedback.corporatie.v1": [schemas.PartnerFeedback(
            feedback_id=uuid4(), sent_at=T, partner="corporatie", domain="wonen",
            signal_event_ids=[uuid4()], category="support_started")],
        "audit.v1": [schemas.AuditEntry(
            entry_id=uuid4(), at=T, actor_role="coordinator", actor_id="wt-coord-7",
            action="view", object_type="proposal", object_id=str(proposal_id))],
    }  # fmt: skip


def _key(topic: str, record: ContractModel) -> bytes:
    field = topic_spec(topic).key
    if field == "subject_key":  # the partner's own keyed hash of the household: opaque
        return b"subject-" + str(record.event_id).encode()  # type: ignore[attr-defined]
    return str(getattr(record, field)).encode()


def test_every_record_type_round_trips_through_kafka(topics: KafkaSettings) -> None:
    ensure_topics(topics)
    cfg = topics.kafka_python_config()
    producer = KafkaProducer(acks="all", enable_idempotence=True, **cfg)
    sent: dict[str, list[tuple[ContractModel, list[tuple[str, bytes]]]]] = {}
    for name, records in _samples().items():
        for record in records:
            encoded = encode(record, source=SOURCE, time=T)
            producer.send(topics.topic(name), key=_key(name, record), value=encoded.value,
                          headers=encoded.headers)  # fmt: skip
            sent.setdefault(topics.topic(name), []).append((record, encoded.headers))
    producer.flush(timeout=30)
    producer.close()

    consumer = KafkaConsumer(*sent, auto_offset_reset="earliest", consumer_timeout_ms=2000,
                             group_id=f"{topics.topic_prefix}-check", **cfg)  # fmt: skip
    received: dict[str, list[tuple[ContractModel, list[tuple[str, bytes]]]]] = {}
    deadline = time.monotonic() + 60
    expected = sum(len(v) for v in sent.values())
    try:
        while sum(len(v) for v in received.values()) < expected and time.monotonic() < deadline:
            for message in consumer:
                record = decode(message.value, message.headers, topic=message.topic,
                                partition=message.partition, offset=message.offset)  # fmt: skip
                assert message.key == _key(message.topic.removeprefix(f"{topics.topic_prefix}."),
                                           record)  # fmt: skip
                received.setdefault(message.topic, []).append((record, list(message.headers)))
    finally:
        consumer.close()
    assert {t: sorted(map(repr, v)) for t, v in received.items()} == {
        t: sorted(map(repr, v)) for t, v in sent.items()
    }
    assert len(received) == len([s for s in CATALOGUE if s.records]) - 2  # two feedback topics idle


def test_topics_create_is_idempotent_and_reports_drift(
    topics: KafkaSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ensure_topics(topics)
    assert sorted(first.created) == sorted(topics.topic(s.name) for s in CATALOGUE)
    assert first.ok
    again = ensure_topics(topics)
    assert again.created == []
    assert again.ok
    assert len(again.unchanged) == len(CATALOGUE)

    spec = topic_spec("proposals.v1")
    drifted = ensure_topics(topics, catalogue=(dataclasses.replace(spec, partitions=5),))
    assert [(d.setting, d.expected, d.actual) for d in drifted.drift] == [("partitions", "5", "12")]

    admin = KafkaAdminClient(**topics.kafka_python_config())
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topics.topic("audit.v1"),
                                  configs={"retention.ms": "1000"})  # fmt: skip
        admin.alter_configs([resource], incremental=True)
    finally:
        admin.close()
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", topics.bootstrap_servers)
    monkeypatch.setenv("WIJKHUB_TOPIC_PREFIX", topics.topic_prefix)
    deadline = time.monotonic() + 30
    code = 0
    while code != 3 and time.monotonic() < deadline:
        code = main(["topics", "create"])
        time.sleep(0.5)
    out = capsys.readouterr().out
    assert code == 3
    assert f"DRIFT     {topics.topic('audit.v1')}: retention.ms is 1000" in out
