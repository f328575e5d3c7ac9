"""Heartbeat: the smallest real round trip through the hub.

A connector (or ``wijkhub ping``) publishes a message to ``<prefix>.heartbeat.v1``; this
agent counts heartbeats per source in a table (so the state store and its changelog are
exercised) and answers on ``<prefix>.heartbeat-ack.v1`` with the count. Operators use it to
check that a partner can reach the hub end to end; tests use it to prove the wiring.
"""

from __future__ import annotations

import json
from typing import Any

from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["ACK_TOPIC", "TOPIC", "register"]

TOPIC = "heartbeat.v1"
ACK_TOPIC = "heartbeat-ack.v1"

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
    counts = app.Table("heartbeats", default=int, partitions=app.conf.topic_partitions)

    @app.agent(source)
    async def heartbeat(stream: Any) -> None:
        async for event in stream.events():
            key = event.key or b"anonymous"
            sender = key.decode("utf-8", "replace")
            counts[sender] += 1
            body = json.loads(event.value) if event.value else {}
            answer = {"source": sender, "seq": body.get("seq"), "count": counts[sender]}
            await acks.send(key=key, value=json.dumps(answer).encode())
            log.info("heartbeat", source=sender, seq=answer["seq"], count=answer["count"])
