"""The household processor on the real broker: state in its changelog, restore after a
restart from the changelog alone and from local RocksDB state, and what it sends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from kafka import KafkaProducer

from schemas.catalogue import ensure_topics
from schemas.codec import decode, encode
from schemas.models import JointActionProposal
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.household.processor import HouseholdProcessor, changelog_topic, ensure_changelog
from streams.rules import Household, decode_state, load_rules
from streams.runtime.lag import wait_caught_up
from streams.runtime.metrics import Metrics
from streams.settings import HubSettings
from tests.unit.hub.factories import absence, arrears, consent, hh_ref

pytestmark = pytest.mark.integration

SOURCE = "urn:nld:oin:00000000000000000000:systeem:wijkhub-test"
HOUSEHOLDS = 40


def _publish(kafka: KafkaSettings, events) -> None:
    producer = KafkaProducer(**kafka.kafka_python_config(), acks="all")
    for event in events:
        value, headers = encode(event, source=SOURCE, time=event.occurred_at)
        producer.send(kafka.topic("household-events.v1"), key=event.hh_ref.encode(),
                      value=value, headers=headers)  # fmt: skip
    producer.flush()
    producer.close()


async def _run_until_caught_up(kafka: KafkaSettings, hub: HubSettings, metrics: Metrics) -> None:
    processor = HouseholdProcessor(kafka, hub, load_rules(), metrics)
    await processor.start()
    try:
        stage = ((".household", ("household-events.v1", "decisions.v1")),)
        await asyncio.to_thread(wait_caught_up, kafka, hub.app_id, stage, timeout=60)
    finally:
        await processor.stop()


def _proposed(kafka: KafkaSettings) -> dict[str, JointActionProposal]:
    found = {}
    for m in read_to_end(kafka, kafka.topic("proposals.v1")):
        record = decode(m.value, m.headers)
        if isinstance(record, JointActionProposal):
            found[record.hh_ref] = record
    return found


def test_state_survives_restarts_from_the_changelog_and_from_local_state(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    kafka = kafka_settings
    ensure_topics(kafka)
    app_id = f"{kafka.topic_prefix}-hub"
    ensure_changelog(kafka, app_id)

    def hub(data: str) -> HubSettings:
        return HubSettings(app_id=app_id, store="rocksdb", data_dir=tmp_path / data,
                           commit_interval=0.2, session_timeout=6)  # fmt: skip

    # 1. consent and one signal per household: state, no proposal yet
    _publish(kafka, [e for n in range(HOUSEHOLDS) for e in (consent(n, 0), arrears(n, 1))])
    first = Metrics()
    asyncio.run(_run_until_caught_up(kafka, hub("a"), first))
    assert first.total["household.consent"] == HOUSEHOLDS
    assert first.total["household.kept"] == HOUSEHOLDS
    assert _proposed(kafka) == {}
    latest = {m.key: m.value for m in read_to_end(kafka, changelog_topic(app_id))}
    assert len(latest) == HOUSEHOLDS
    assert all(isinstance(decode_state(v or b""), Household) for v in latest.values())

    # 2. a new worker with an empty data dir restores from the changelog alone: the second
    #    domain's signal makes every household's proposal
    _publish(kafka, [absence(n, 2) for n in range(HOUSEHOLDS // 2)])
    second = Metrics()
    asyncio.run(_run_until_caught_up(kafka, hub("b"), second))
    assert second.total["household.kept"] == HOUSEHOLDS // 2
    assert second.total["out.JointActionProposal"] == HOUSEHOLDS // 2
    assert set(_proposed(kafka)) == {hh_ref(n) for n in range(HOUSEHOLDS // 2)}

    # 3. the same worker again on its own RocksDB state (checkpoint: nothing to read back)
    _publish(kafka, [absence(n, 2) for n in range(HOUSEHOLDS // 2, HOUSEHOLDS)])
    third = Metrics()
    asyncio.run(_run_until_caught_up(kafka, hub("b"), third))
    assert third.total["out.JointActionProposal"] == HOUSEHOLDS - HOUSEHOLDS // 2
    assert set(_proposed(kafka)) == {hh_ref(n) for n in range(HOUSEHOLDS)}
    # replaying what was processed already adds nothing
    _publish(kafka, [absence(0, 2)])
    fourth = Metrics()
    asyncio.run(_run_until_caught_up(kafka, hub("a"), fourth))  # stale dir: rebuilt or caught up
    assert fourth.total["household.duplicate"] == 1
    assert fourth.total["out.JointActionProposal"] == 0
