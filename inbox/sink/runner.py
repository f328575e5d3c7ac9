"""The sink loop: read ``proposals.v1`` in a consumer group, deliver, then commit."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from inbox.audit import Auditor
from inbox.sink.cloudevents import dedupe_key, to_cloudevent
from inbox.sink.targets import SinkTarget
from schemas.codec import decode_message
from schemas.errors import DecodeError
from schemas.logging import get_logger
from schemas.models import ActorRole, AuditAction, JointActionProposal, ProposalRetraction
from schemas.settings import KafkaSettings

__all__ = ["ExportAudit", "SinkStats", "run_sink"]

_log = get_logger(__name__)


@dataclass
class SinkStats:
    """What a sink run did."""

    delivered: int = 0
    duplicates: int = 0
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class ExportAudit:
    """Who exports: an audit entry (action ``export``) per delivered proposal."""

    auditor: Auditor
    actor_id: str


def run_sink(
    settings: KafkaSettings,
    target: SinkTarget,
    *,
    group_id: str,
    audit: ExportAudit | None = None,
    once: bool = False,
    stop: threading.Event | None = None,
) -> SinkStats:
    """Deliver until ``stop`` is set (or, with ``once``, until caught up with the topic)."""
    from kafka import KafkaConsumer

    stop = stop or threading.Event()
    topic = settings.topic("proposals.v1")
    consumer: Any = KafkaConsumer(
        topic,
        **settings.kafka_python_config(),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    stats = SinkStats()
    try:
        while not stop.is_set():
            batch = consumer.poll(timeout_ms=1000)
            for messages in batch.values():
                for message in messages:
                    _handle(message, target, audit, stats)
            if batch:
                consumer.commit()  # only reached when every delivery above succeeded
                _log.info("sink batch delivered", **vars(stats))
            if once and consumer.assignment() and _caught_up(consumer):
                break
    finally:
        consumer.close(autocommit=False)
    return stats


def _caught_up(consumer: Any) -> bool:
    assigned = list(consumer.assignment())
    ends = consumer.end_offsets(assigned)
    return all(consumer.position(tp) >= ends[tp] for tp in assigned)


def _handle(message: Any, target: SinkTarget, audit: ExportAudit | None, stats: SinkStats) -> None:
    try:
        record = decode_message(message)
    except DecodeError as exc:
        stats.skipped += 1
        _log.warning("sink skipped a message", reason=exc.reason, where=exc.where)
        return
    if not isinstance(record, JointActionProposal | ProposalRetraction):
        stats.skipped += 1
        return
    event = to_cloudevent(record, list(message.headers or []))
    if target.delivered(dedupe_key(event)):
        stats.duplicates += 1
        return
    target.deliver(event)
    stats.delivered += 1
    if audit is not None and isinstance(record, JointActionProposal):
        audit.auditor.record(
            actor_id=audit.actor_id,
            actor_role=ActorRole.HUB_SYSTEM,
            action=AuditAction.EXPORT,
            proposal_id=record.proposal_id,
        )
