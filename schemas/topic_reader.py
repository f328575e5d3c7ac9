"""Read a topic from its beginning to its end offsets *now*, without a consumer group.

For one-off reads — the audit trail, the demo's table, tests and benchmarks — not for
processing streams. Needs kafka-python (``wijkhub[connectors]``, ``[hub]`` or ``[inbox]``).
"""

from __future__ import annotations

import time
from typing import Any

from schemas.errors import WijkhubError
from schemas.kafka_login import check_login
from schemas.settings import KafkaSettings

__all__ = ["TopicReadError", "read_to_end"]


class TopicReadError(WijkhubError):
    """The topic does not exist, or could not be read to its end in time."""


def read_to_end(settings: KafkaSettings, topic: str, *, timeout: float = 60) -> list[Any]:
    """Every message (kafka-python ``ConsumerRecord``) on ``topic``, a full topic name."""
    from kafka import KafkaConsumer, TopicPartition

    check_login(settings)
    consumer: Any = KafkaConsumer(
        **settings.kafka_python_config(), enable_auto_commit=False, group_id=None
    )
    try:
        ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise TopicReadError(f"topic {topic} does not exist; run `wijkhub topics create`")
        partitions = [TopicPartition(topic, p) for p in sorted(ids)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        messages: list[Any] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TopicReadError(f"topic {topic}: not read to its end within {timeout:.0f}s")
            for batch in consumer.poll(timeout_ms=500).values():
                messages.extend(batch)
        return messages
    finally:
        consumer.close()
