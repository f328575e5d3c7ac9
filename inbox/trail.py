"""Reading a proposal's audit trail back from ``audit.v1`` (``wijkhub audit show``)."""

from __future__ import annotations

from uuid import UUID

from inbox.audit import AUDIT_TOPIC
from inbox.errors import InboxError
from schemas.codec import decode_message
from schemas.errors import DecodeError
from schemas.models import AuditEntry
from schemas.settings import KafkaSettings
from schemas.topic_reader import TopicReadError, read_to_end

__all__ = ["read_trail"]


def read_trail(
    settings: KafkaSettings, proposal_id: UUID, *, timeout: float = 60
) -> list[AuditEntry]:
    """Every audit entry about ``proposal_id`` on the topic now, oldest first."""
    topic = settings.topic(AUDIT_TOPIC)
    try:
        messages = read_to_end(settings, topic, timeout=timeout)
    except TopicReadError as exc:
        raise InboxError(str(exc)) from None
    wanted = str(proposal_id)
    found: list[AuditEntry] = []
    for m in messages:
        try:
            entry = decode_message(m)
        except DecodeError:
            continue  # not ours to judge here; the hub dead-letters bad messages
        if isinstance(entry, AuditEntry) and entry.object_id == wanted:
            found.append(entry)
    return sorted(found, key=lambda e: e.at)
