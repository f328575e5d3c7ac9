"""Kafka helpers for the benchmarks: fill a topic fast, read it back raw, watch a group."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka import TopicPartition as AioTopicPartition
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import CoordinatorNotAvailableError

from schemas.codec import decode
from schemas.settings import KafkaSettings


def connection(bootstrap: str) -> dict[str, Any]:
    """Client keyword arguments for ``bootstrap``, with the security settings of the
    environment (``deploy/local/with-kafka.sh`` exports the local broker's)."""
    return KafkaSettings(bootstrap_servers=bootstrap).kafka_python_config()


def create_topic(bootstrap: str, name: str, partitions: int, *, compact: bool = False) -> None:
    admin = KafkaAdminClient(**connection(bootstrap))
    configs = {"cleanup.policy": "compact"} if compact else {}
    try:
        admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1, topic_configs=configs)]
        )
    finally:
        admin.close()


def fill(
    bootstrap: str, topic: str, messages: Iterable[tuple[bytes, bytes, list[tuple[str, bytes]]]]
) -> int:
    """Publish ``messages`` (key, value, headers) with a throughput-tuned producer."""
    producer = KafkaProducer(
        **connection(bootstrap),
        acks="all",
        linger_ms=20,
        batch_size=512 * 1024,
        max_request_size=4 * 1024 * 1024,
    )
    n = 0
    for key, value, headers in messages:
        producer.send(topic, key=key, value=value, headers=headers)
        n += 1
    producer.flush()
    producer.close()
    return n


async def _raw_consume(bootstrap: str, topic: str, expected: int, do_decode: bool) -> float:
    consumer = AIOKafkaConsumer(
        **KafkaSettings(bootstrap_servers=bootstrap).aiokafka_config(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
        fetch_max_bytes=16 << 20,
    )
    await consumer.start()
    try:
        parts = [AioTopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or ())]
        if not parts:
            await consumer._client.force_metadata_update()
            found = consumer.partitions_for_topic(topic) or ()
            parts = [AioTopicPartition(topic, p) for p in found]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        seen = 0
        t0 = time.perf_counter()
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10000)
            for tp, records in batches.items():
                for r in records:
                    if do_decode:
                        decode(
                            r.value,
                            r.headers,
                            topic=tp.topic,
                            partition=tp.partition,
                            offset=r.offset,
                        )
                seen += len(records)
        return time.perf_counter() - t0
    finally:
        await consumer.stop()


def raw_consume_seconds(
    bootstrap: str, topic: str, expected: int, *, do_decode: bool = True
) -> float:
    """Seconds a bare aiokafka consumer needs to fetch (and decode) ``expected`` messages."""
    return asyncio.run(_raw_consume(bootstrap, topic, expected, do_decode))


class LagWatcher:
    """How far a consumer group is behind on a topic (one admin and one consumer, reused)."""

    def __init__(self, bootstrap: str) -> None:
        self._admin = KafkaAdminClient(**connection(bootstrap))
        self._consumer = KafkaConsumer(**connection(bootstrap))

    def lag(self, group: str, topic: str) -> int | None:
        """Messages not yet committed by ``group``; ``None`` before its first commit."""
        try:
            committed = self._admin.list_group_offsets(group).get(group, {})
        except CoordinatorNotAvailableError:  # a fresh broker creates __consumer_offsets first
            return None
        if not any(tp.topic == topic for tp in committed):
            return None
        # every partition counts: one the group has not committed yet is still all to do
        parts = [TopicPartition(topic, p) for p in self._consumer.partitions_for_topic(topic)]
        ends = self._consumer.end_offsets(parts)
        return int(sum(ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in parts))

    def close(self) -> None:
        self._admin.close()
        self._consumer.close()
