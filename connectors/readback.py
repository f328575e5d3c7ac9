"""Reading back the topic tail after a crash: which events of ours are there already.

Closing the window between "the broker confirmed delivery" and "the checkpoint is on disk":
before a run publishes anything it records where the topic ended (:func:`end_offsets`) in
its state. A later run that finds that record (the earlier one never committed) reads the
topic from there to its current end and collects the CloudEvents ids (``ce_id`` header) that
carry our ``ce_source``; those events are not sent again. Together with the idempotent
producer (no duplicates from retries) every event reaches the topic exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from connectors.errors import PublishError
from schemas.settings import KafkaSettings

__all__ = ["end_offsets", "published_ids"]

_ID_HEADER = "ce_id"
_SOURCE_HEADER = "ce_source"
_STALL_SECONDS = 30


def _consumer(settings: KafkaSettings) -> KafkaConsumer:
    try:
        return KafkaConsumer(
            **settings.kafka_python_config(),
            group_id=None,
            enable_auto_commit=False,
            consumer_timeout_ms=1000,
            max_poll_records=5000,
        )
    except KafkaError as exc:
        raise PublishError(
            f"cannot connect to Kafka at {settings.bootstrap_servers} ({exc})"
        ) from None


def _partitions(consumer: KafkaConsumer, topic: str) -> list[TopicPartition]:
    deadline = time.monotonic() + 10
    while True:
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        if time.monotonic() > deadline:
            raise PublishError(
                f"topic {topic} does not exist; create the topics first (`wijkhub topics create`)"
            )
        time.sleep(0.2)


def end_offsets(
    settings: KafkaSettings, topic: str, *, found: Callable[[], None] | None = None
) -> dict[str, int]:
    """The current end offset of every partition of ``topic``.

    ``found`` is called as soon as the topic is known to exist (before its offsets are asked).
    """
    consumer = _consumer(settings)
    try:
        partitions = _partitions(consumer, topic)
        if found is not None:
            found()
        ends = consumer.end_offsets(partitions)
        return {str(tp.partition): int(off) for tp, off in ends.items()}
    finally:
        consumer.close()


def published_ids(
    settings: KafkaSettings, topic: str, start_offsets: dict[str, int], ce_source: str
) -> set[str]:
    """Event ids with our ``ce_source`` between ``start_offsets`` and the end of the topic."""
    consumer = _consumer(settings)
    found: set[str] = set()
    source = ce_source.encode()
    try:
        parts = _partitions(consumer, topic)
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        remaining = {}
        for tp in parts:
            start = start_offsets.get(str(tp.partition), 0)
            if ends[tp] > start:
                consumer.seek(tp, start)
                remaining[tp] = ends[tp]
            else:
                consumer.pause(tp)
        deadline = time.monotonic() + _STALL_SECONDS
        while remaining:
            batch = consumer.poll(timeout_ms=1000)
            if batch:
                deadline = time.monotonic() + _STALL_SECONDS
            elif time.monotonic() > deadline:
                raise PublishError(f"topic {topic}: reading back stalled; is the broker up?")
            for tp, records in batch.items():
                for record in records:
                    headers = dict(record.headers or [])
                    if headers.get(_SOURCE_HEADER) == source and _ID_HEADER in headers:
                        found.add(headers[_ID_HEADER].decode())
                if tp in remaining and consumer.position(tp) >= remaining[tp]:
                    del remaining[tp]
                    consumer.pause(tp)
    except KafkaError as exc:
        raise PublishError(f"topic {topic}: reading back after a crash failed ({exc})") from None
    finally:
        consumer.close()
    return found
