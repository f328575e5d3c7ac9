"""Ingress agent: ingest topics → pseudonymised ``household-events.v1`` (or dead letters).

Undecodable or invalid events go to ``deadletter.v1`` with the reason and where they were
read in headers. Consent records are never dead-lettered: a consent message the hub cannot
process stops the worker loudly (exit code 70) before its offset is committed, so the record
is neither lost nor skipped; sending is retried by the producer and checked at commit.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.agents._io import RAW, Outbox, Outgoing, send_outbox
from streams.agents._metrics import Metrics
from streams.ingress import INGEST_DOMAINS, DeadLetter, Message, pseudonymise
from streams.keys import HubKeys

__all__ = ["EXIT_CONSENT", "HOUSEHOLD_TOPIC", "INGEST_TOPICS", "fail_loudly", "register"]

INGEST_TOPICS = tuple(f"ingest.{d}.v1" for d in INGEST_DOMAINS)
HOUSEHOLD_TOPIC = "household-events.v1"
DEADLETTER_TOPIC = "deadletter.v1"
EXIT_CONSENT = 70
"""Exit code when a consent record cannot be processed (EX_SOFTWARE)."""

log = get_logger(__name__)


def fail_loudly(letter: DeadLetter) -> None:
    """Stop the worker at once: a consent record must never be dropped or dead-lettered.

    The offset is not committed, so after the cause is fixed (a hub key that does not match
    the connectors', a producer writing invalid records) the worker processes it again.
    """
    log.critical(
        "consent record cannot be processed; stopping the worker without committing it",
        topic=letter.message.topic,
        partition=letter.message.partition,
        offset=letter.message.offset,
        reason=letter.reason,
        action="fix the cause (hub keys, the gemeente's connector), then start the worker again",
    )
    sys.stderr.flush()
    os._exit(EXIT_CONSENT)


def handle(message: Message, keys: HubKeys, ce_source: str) -> Outbox:
    """The outbox for one ingest message (Faust-free)."""
    result = pseudonymise(message, keys, ce_source=ce_source)
    if isinstance(result, DeadLetter):
        if result.consent:
            fail_loudly(result)
        out = Outgoing(DEADLETTER_TOPIC, message.key, message.value, result.headers)
        return Outbox("deadletter", (out,))
    out = Outgoing(HOUSEHOLD_TOPIC, result.key, result.value, result.headers)
    return Outbox("consent" if result.consent else "signal", (out,))


def register(
    app: Any, kafka: KafkaSettings, keys: HubKeys, ce_source: str, metrics: Metrics
) -> Any:
    """Add the ingress agent to ``app``; returns it."""
    source = app.topic(*(kafka.topic(t) for t in INGEST_TOPICS), **RAW)
    outputs = {
        name: app.topic(kafka.topic(name), **RAW) for name in (HOUSEHOLD_TOPIC, DEADLETTER_TOPIC)
    }

    async def sink(outbox: Outbox) -> None:
        await send_outbox(outputs, outbox)

    @app.agent(source, name="ingress", sink=[sink])
    async def ingress(stream: Any) -> Any:
        async for event in stream.events():
            msg = event.message
            message = Message(
                msg.topic, msg.partition, msg.offset, event.key, event.value,
                list(_headers(event.headers)),
            )  # fmt: skip
            outbox = handle(message, keys, ce_source)
            metrics.count(f"ingress.{outbox.outcome}")
            if outbox.outcome == "deadletter":
                log.warning(
                    "ingest message dead-lettered",
                    topic=msg.topic,
                    partition=msg.partition,
                    offset=msg.offset,
                    reason=dict(outbox.messages[0].headers).get("dlq_reason", b"").decode(),
                )
            yield outbox

    return ingress


def _headers(headers: Any) -> list[tuple[str, bytes]]:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, dict) else headers
    return [(str(k), bytes(v) if v is not None else b"") for k, v in items]
