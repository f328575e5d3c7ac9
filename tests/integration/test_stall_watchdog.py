"""The stall watchdog on the real broker: a partition its consumer no longer fetches.

The fault is the one faust-streaming/faust#629 describes ("certain topic partitions are not
sending fetch requests"), made on purpose: the real household processor runs, and its real
aiokafka consumer is told to stop fetching one partition (``pause``) when it is assigned —
once (the watchdog's first remedy, a new consumer, must recover it: every event processed, the
proposals made, the stall counted), or at every assignment (a stall that a new consumer does
not cure: the stage crashes with PartitionStalledError, which makes ``wijkhub worker`` exit
75).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from kafka import KafkaProducer

from schemas.catalogue import ensure_topics
from schemas.codec import decode, encode
from schemas.models import JointActionProposal
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.household.processor import HouseholdProcessor, ensure_changelog
from streams.rules import load_rules
from streams.runtime.exposition import hub_registry, render
from streams.runtime.lag import GroupLag, wait_caught_up
from streams.runtime.metrics import Metrics
from streams.runtime.watchdog import PartitionStalledError
from streams.settings import HubSettings
from tests.unit.hub.factories import absence, arrears, consent, hh_ref

pytestmark = pytest.mark.integration

SOURCE = "urn:nld:oin:00000000000000000000:systeem:wijkhub-test"
HOUSEHOLDS = 12
STALL_S = 3.0
PARTITION = 5


class Unfetched(HouseholdProcessor):
    """The real processor, whose consumer stops fetching ``PARTITION`` of the household topic
    at its first ``faults`` assignments that include it."""

    faults = 1

    async def assigned(self, partitions: set[int]) -> None:
        await super().assigned(partitions)
        if self.faults and PARTITION in partitions and self.consumer is not None:
            self.faults -= 1
            self.consumer.pause(TopicPartition(self.topics[0], PARTITION))


def _publish(kafka: KafkaSettings, events: list[Any]) -> None:
    producer = KafkaProducer(**kafka.kafka_python_config(), acks="all")
    for event in events:
        value, headers = encode(event, source=SOURCE, time=event.occurred_at)
        producer.send(kafka.topic("household-events.v1"), key=event.hh_ref.encode(),
                      value=value, headers=headers, partition=PARTITION)  # fmt: skip
    producer.flush()
    producer.close()


def _events() -> list[Any]:
    return [e for n in range(HOUSEHOLDS) for e in (consent(n, 0), arrears(n, 1), absence(n, 2))]


def _setup(kafka: KafkaSettings, tmp_path: Path) -> HubSettings:
    ensure_topics(kafka)
    app_id = f"{kafka.topic_prefix}-hub"
    ensure_changelog(kafka, app_id)
    return HubSettings(app_id=app_id, store="rocksdb", data_dir=tmp_path / "hub",
                       commit_interval=0.2, session_timeout=6, stall_seconds=STALL_S,
                       lag_interval=0.5)  # fmt: skip


async def _until(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def _lag(kafka: KafkaSettings, hub: HubSettings) -> int:
    with GroupLag(kafka, hub.app_id + ".household") as reader:
        return sum(reader.lag([kafka.topic("household-events.v1")]).values())


def _stalls(metrics: Metrics) -> str:
    text = render(hub_registry(metrics)).decode()
    return "\n".join(line for line in text.splitlines() if "stall" in line and "#" not in line)


def test_a_partition_that_is_not_fetched_is_recovered_by_a_new_consumer(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    kafka, hub = kafka_settings, _setup(kafka_settings, tmp_path)
    metrics = Metrics()

    async def scenario() -> float:
        processor = Unfetched(kafka, hub, load_rules(), metrics)
        await processor.start()
        try:
            stage = metrics.stage("household")
            await _until(lambda: stage.joined and processor.faults == 0, 60)
            first = processor.consumer
            await asyncio.to_thread(_publish, kafka, _events())
            await asyncio.sleep(1.0)
            # the fault is real: a second later nothing of the partition was processed
            assert await asyncio.to_thread(_lag, kafka, hub) == len(_events())
            started = time.monotonic()
            stages = ((".household", ("household-events.v1", "decisions.v1")),)
            await asyncio.to_thread(wait_caught_up, kafka, hub.app_id, stages, timeout=60)
            assert processor.consumer is not first, "the stage got a new consumer"
            return time.monotonic() - started
        finally:
            await processor.stop()

    recovered_in = asyncio.run(scenario())
    print(f"recovered {recovered_in:.1f} s after the fault was confirmed; {_stalls(metrics)}")
    stage = metrics.stage("household")
    assert stage.stalls == {"resubscribe": 1}
    assert 'wijkhub_hub_stalls_total{action="resubscribe",stage="household"} 1.0' in _stalls(
        metrics
    )
    assert stage.rebalances >= 2  # the first assignment, and the new consumer's
    proposals = [
        decode(m.value, m.headers) for m in read_to_end(kafka, kafka.topic("proposals.v1"))
    ]
    made = {p.hh_ref for p in proposals if isinstance(p, JointActionProposal)}
    assert made == {hh_ref(n) for n in range(HOUSEHOLDS)}
    assert metrics.total["household.kept"] == 2 * HOUSEHOLDS  # nothing twice, nothing lost


def test_a_stall_a_new_consumer_does_not_cure_stops_the_stage_for_its_supervisor(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    kafka, hub = kafka_settings, _setup(kafka_settings, tmp_path)
    metrics = Metrics()

    async def scenario() -> BaseException | None:
        processor = Unfetched(kafka, hub, load_rules(), metrics)
        processor.faults = 100  # every assignment: the new consumer does not fetch it either
        await processor.start()
        try:
            await _until(lambda: metrics.stage("household").joined, 60)
            await asyncio.to_thread(_publish, kafka, _events())
            await _until(lambda: processor.crash_reason is not None, 4 * STALL_S + 30)
            return processor.crash_reason
        finally:
            await processor.stop()

    reason = asyncio.run(scenario())
    assert isinstance(reason, PartitionStalledError), reason
    assert f"household-events.v1/{PARTITION} stalled again" in str(reason)
    assert metrics.stage("household").stalls == {"resubscribe": 1, "exit": 1}
    assert _lag(kafka, hub) == len(_events())  # nothing of it was processed, nothing skipped
