"""Reading a proposal's audit trail back from ``audit.v1`` (``wijkhub audit show``)."""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from schemas.codec import decode_message
from schemas.errors import DecodeError
from schemas.models import AuditEntry
from schemas.settings import KafkaSettings
from streams.inbox.audit import AUDIT_TOPIC
from streams.inbox.errors import InboxError

__all__ = ["read_trail"]


def read_trail(
    settings: KafkaSettings, proposal_id: UUID, *, timeout: float = 60
) -> list[AuditEntry]:
    """Every audit entry about ``proposal_id`` on the topic now, oldest first."""
    from kafka import KafkaConsumer, TopicPartition

    topic = settings.topic(AUDIT_TOPIC)
    consumer: Any = KafkaConsumer(
        **settings.kafka_python_config(), enable_auto_commit=False, group_id=None
    )
    try:
        ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise InboxError(f"topic {topic} does not exist; run `wijkhub topics create`")
        partitions = [TopicPartition(topic, p) for p in sorted(ids)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        wanted = str(proposal_id)
        found: list[AuditEntry] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise InboxError(f"topic {topic}: reading the trail took over {timeout:.0f}s")
            for messages in consumer.poll(timeout_ms=500).values():
                for m in messages:
                    try:
                        entry = decode_message(m)
                    except DecodeError:
                        continue  # not ours to judge here; the hub dead-letters bad messages
                    if isinstance(entry, AuditEntry) and entry.object_id == wanted:
                        found.append(entry)
        return sorted(found, key=lambda e: e.at)
    finally:
        consumer.close()
