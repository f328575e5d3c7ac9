"""The ingress forwarder: ingest topics → pseudonymised ``household-events.v1`` (or dead letters).

A batch loop (:mod:`streams.runtime.batchloop`) in the group ``<app id>.ingress``: each fetched
batch is pseudonymised message by message (:mod:`streams.ingress.pseudonymise`), the results
are sent, and the offsets are committed once the broker acknowledged them. One household's
events of one partner share an ingest partition and keep their order on the household topic
(one idempotent producer). Undecodable or invalid events go to ``deadletter.v1`` with the
reason and where they were read in headers. Consent records are never dead-lettered: a
consent message the hub cannot process stops the worker loudly (exit code 70) before anything
of its batch is sent or committed, so the record is neither lost nor skipped.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.ingress.keys import HubKeys
from streams.ingress.pseudonymise import pseudonymise
from streams.runtime.batchloop import BatchLoop, Fetched
from streams.runtime.deadletters import DeadLetter
from streams.runtime.messages import Message, Outbox, Outgoing
from streams.runtime.metrics import Metrics
from streams.runtime.topics import HOUSEHOLD_TOPIC, INGEST_TOPICS
from streams.settings import INGRESS_GROUP_SUFFIX, HubSettings

__all__ = ["EXIT_CONSENT", "IngressForwarder", "fail_loudly", "handle"]

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
        return Outbox("deadletter", (result.outgoing(),))
    out = Outgoing(HOUSEHOLD_TOPIC, result.key, result.value, result.headers)
    return Outbox("consent" if result.consent else "signal", (out,))


class IngressForwarder(BatchLoop):
    """The ingress stage; see the module's docstring."""

    name = "ingress"

    def __init__(
        self, kafka: KafkaSettings, hub: HubSettings, keys: HubKeys, metrics: Metrics,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        topics = tuple(kafka.topic(t) for t in INGEST_TOPICS)
        super().__init__(kafka, hub, hub.app_id + INGRESS_GROUP_SUFFIX, topics, **kwargs)
        self.keys, self.metrics = keys, metrics

    async def handle(self, fetched: Fetched) -> None:
        out: list[Outgoing] = []
        for records in fetched.values():
            for r in records:
                # a consent record that cannot be processed exits the worker here
                outbox = handle(Message.of(r), self.keys, self.hub.ce_source)
                self.metrics.count(f"ingress.{outbox.outcome}")
                if outbox.outcome == "deadletter":
                    log.warning(
                        "ingest message dead-lettered",
                        topic=r.topic,
                        partition=r.partition,
                        offset=r.offset,
                        reason=dict(outbox.messages[0].headers).get("dlq_reason", b"").decode(),
                    )
                out.extend(outbox.messages)
        await self.deliver(out)
        self.done(fetched)
