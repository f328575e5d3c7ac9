"""Heartbeat: the smallest real round trip through the hub.

A connector (or ``wijkhub ping``) publishes a message to ``<prefix>.heartbeat.v1``; this
agent counts heartbeats per source in a table (so the state store and its changelog are
exercised) and answers on ``<prefix>.heartbeat-ack.v1`` with the count. Operators use it to
check that a partner can reach the hub end to end; tests use it to prove the wiring.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.catalogue import Role, TopicSpec
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["ACK_TOPIC", "TOPIC", "TOPICS", "register"]

TOPIC = "heartbeat.v1"
ACK_TOPIC = "heartbeat-ack.v1"

_PARTNERS = frozenset({Role.CORPORATIE, Role.SCHOOL, Role.GEMEENTE})
TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        TOPIC,
        "Heartbeats from partners (JSON, no personal data). Key: partner id.",
        "partner id",
        (),
        _PARTNERS,
        frozenset({Role.HUB}),
        retention_days=1,
        partitions=4,
    ),
    TopicSpec(
        ACK_TOPIC,
        "The hub's answers to heartbeats (JSON, counts only). Key: partner id.",
        "partner id",
        (),
        frozenset({Role.HUB}),
        _PARTNERS,
        retention_days=1,
        partitions=4,
    ),
)
"""The heartbeat's own topics: operational, outside the contracts' catalogue, created the
same way (``schemas.catalogue.ensure_topics(settings, catalogue=TOPICS)``)."""

log = get_logger(__name__)


def register(app: Any, kafka: KafkaSettings) -> None:
    """Add the heartbeat agent and its table to ``app``."""
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    source = app.topic(kafka.topic(TOPIC), **raw)
    acks = app.topic(kafka.topic(ACK_TOPIC), **raw)
    counts = app.Table("heartbeats", default=int, partitions=TOPICS[0].partitions)

    @app.agent(source)
    async def heartbeat(stream: Any) -> None:
        async for event in stream.events():
            key = event.key or b"anonymous"
            sender = key.decode("utf-8", "replace")
            counts[sender] += 1
            answer = {"source": sender, "seq": _seq(event.value), "count": counts[sender]}
            await acks.send(key=key, value=json.dumps(answer).encode())
            log.info("heartbeat", source=sender, seq=answer["seq"], count=answer["count"])


def _seq(value: bytes | None) -> Any:
    """The ``seq`` of a heartbeat's JSON body; ``None`` for a body that is not a JSON object
    (partners write this topic: a bad heartbeat is answered, never a crash of the agent)."""
    try:
        body = json.loads(value) if value else {}
    except ValueError:  # not JSON, not UTF-8
        return None
    seq = body.get("seq") if isinstance(body, dict) else None
    return seq if isinstance(seq, int | str) else None
