"""Consent is never dropped: a consent record the hub cannot open stops the worker (exit 70)
with its offset uncommitted, while an unreadable signal goes to the dead letters and on."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from kafka import KafkaProducer

from connectors.sealing import Sealer
from schemas.catalogue import ensure_topics
from schemas.codec import encode
from schemas.identity import canonical_id
from schemas.models import (
    ActorRole,
    ArrearsBand,
    CollectionMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    Domain,
    RentArrearsSignal,
    SignalStatus,
)
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.forwarder import EXIT_CONSENT
from streams.ingress.keys import init_keys
from streams.runtime.lag import GroupLag
from streams.settings import INGRESS_GROUP_SUFFIX

pytestmark = pytest.mark.integration

SOURCE = "urn:nld:kvknr:12345678.test"


def _records(sealer: Sealer) -> tuple[RentArrearsSignal, ConsentRecord]:
    sealed = sealer.seal(canonical_id("1234AB", "5", ""))
    common = {"occurred_at": datetime(2026, 3, 1, tzinfo=UTC), "buurt_code": "BU03630001"}
    signal = RentArrearsSignal(
        event_id=uuid.uuid4(), source="corporatie", sealed_subject=sealed,
        status=SignalStatus.OPENED, since=date(2026, 2, 1), arrears_band=ArrearsBand.TWO_MONTHS,
        eviction_risk=False, **common,
    )  # fmt: skip
    consent = ConsentRecord(
        event_id=uuid.uuid4(), source="gemeente", sealed_subject=sealed,
        status=ConsentStatus.GIVEN, purposes=tuple(ConsentPurpose), domains=tuple(Domain),
        valid_from=date(2026, 1, 1), notice_version="2026-01",
        collection_method=CollectionMethod.WRITTEN, recorded_by=ActorRole.INTAKE_OFFICER,
        intake_ref="INT-T000001", **common,
    )  # fmt: skip
    return signal, consent


def test_an_unopenable_consent_record_stops_the_worker_uncommitted(
    kafka_settings: KafkaSettings, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_topics(kafka_settings)
    init_keys(tmp_path / "keys")
    init_keys(tmp_path / "other")  # the connectors sealed to another hub's key
    signal, consent = _records(Sealer.from_file(tmp_path / "other" / "hub.pub"))
    producer = KafkaProducer(**kafka_settings.kafka_python_config(), acks="all")
    for topic, record in (("ingest.wonen.v1", signal), ("ingest.consent.v1", consent)):
        value, headers = encode(record, source=SOURCE)
        producer.send(kafka_settings.topic(topic), key=b"s1", value=value, headers=headers)
    producer.flush()
    producer.close()

    env = {**kafka_env, "WIJKHUB_HUB_KEYS_DIR": str(tmp_path / "keys")}
    worker = subprocess.run(
        [sys.executable, "-m", "schemas.cli", "worker"], env=env, capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    log = (worker.stdout + worker.stderr).decode("utf-8", "replace")
    assert worker.returncode == EXIT_CONSENT, log[-3000:]
    assert "consent record cannot be processed" in log
    group = env["WIJKHUB_HUB_APP_ID"] + INGRESS_GROUP_SUFFIX
    with GroupLag(kafka_settings, group) as lag:
        behind = lag.lag([kafka_settings.topic("ingest.consent.v1")])
    assert sum(behind.values()) == 1, "the consent record must stay uncommitted"
    letters = read_to_end(kafka_settings, kafka_settings.topic("deadletter.v1"))
    from_consent = [m for m in letters if dict(m.headers)["dlq_topic"].endswith(b".consent.v1")]
    assert from_consent == [], "a consent record is never dead-lettered"
