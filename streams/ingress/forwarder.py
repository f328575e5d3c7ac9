"""The ingress forwarder: ingest topics → pseudonymised ``household-events.v1``.

A batch loop (:mod:`streams.runtime.batchloop`) in the group ``<app id>.ingress``: each fetched
batch is pseudonymised message by message, the results are sent, and the offsets are
committed once the broker acknowledged them. One household's events of one partner share an
ingest partition and keep their order on the household topic (one idempotent producer).
Undecodable or invalid events go to ``deadletter.v1`` with the reason and where they were read
in headers (by reference when too large to send whole).

A consent record the hub cannot read stops nothing: it is parked on ``quarantine.v1`` and
what it concerns is held behind it (:mod:`streams.ingress.parking`), raised in the log, the
counters and a repeated alert, until an operator releases or discards it. The forwarder also
reads ``quarantine.v1`` in its group (releases and discards to act on) and keeps a tail of the
whole topic, so every worker knows every hold (:class:`QuarantineTail`).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.catalogue import topic_spec
from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.ingress.keys import HubKeys
from streams.ingress.parking import Parking, Plan
from streams.quarantine.records import parse
from streams.quarantine.view import QuarantineView
from streams.runtime.batchloop import BatchLoop, Fetched, aiokafka_config
from streams.runtime.messages import Message, Outbox
from streams.runtime.metrics import Metrics
from streams.runtime.topics import INGEST_TOPICS, QUARANTINE_TOPIC
from streams.settings import INGRESS_GROUP_SUFFIX, HubSettings

__all__ = ["ALERT_INTERVAL", "IngressForwarder", "QuarantineTail", "handle"]

_RETENTION_DAYS = topic_spec(QUARANTINE_TOPIC).retention_days
_IDLE_POLLS = 20
ALERT_INTERVAL = 60.0
"""Seconds between the ``parked records await an operator`` lines while any is open."""

log = get_logger(__name__)


def handle(message: Message, keys: HubKeys, ce_source: str) -> Outbox:
    """The outbox for one ingest message on its own (no holds known; Faust-free)."""
    parking = Parking(keys, ce_source, QuarantineView(), partitions=1)
    outcome = parking.ingest(message)
    plan = parking.take()
    return Outbox(outcome, tuple(out for out, _ in plan.first + plan.last))


class QuarantineTail:
    """Every worker's own reading of all of ``quarantine.v1`` (no group): the holds."""

    def __init__(self, kafka: KafkaSettings, view: QuarantineView, client_id: str) -> None:
        self.kafka, self.view, self.client_id = kafka, view, client_id
        self.topic = kafka.topic(QUARANTINE_TOPIC)
        self.consumer: AIOKafkaConsumer | None = None
        self.partitions = 1

    async def start(self, partitions: set[int]) -> None:
        """Read the topic (of ``partitions``) from its beginning to its end now."""
        consumer = AIOKafkaConsumer(**aiokafka_config(self.kafka), client_id=self.client_id,
                                    group_id=None, enable_auto_commit=False,
                                    max_partition_fetch_bytes=4 << 20)  # fmt: skip
        await consumer.start()
        self.consumer = consumer
        tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self.partitions = len(tps)
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        idle = 0
        while idle < _IDLE_POLLS and await self._behind(ends):
            idle = 0 if await self.poll(timeout_ms=500) else idle + 1
        if idle >= _IDLE_POLLS:  # compaction can leave the end offset past the last record
            log.warning("quarantine not read to its end offsets; going on with what was read")
        log.info("quarantine read", records=len(self.view), open=len(self.view.open()))

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        assert self.consumer is not None  # noqa: S101 - started first
        return any([await self.consumer.position(tp) < end for tp, end in ends.items()])

    async def poll(self, timeout_ms: int = 0) -> int:
        """Apply what arrived since the last poll; how many messages that was."""
        assert self.consumer is not None  # noqa: S101 - started first
        got = await self.consumer.getmany(timeout_ms=timeout_ms, max_records=10_000)
        for records in got.values():
            for record in records:
                entry = parse(Message.of(record))
                if entry is not None:
                    self.view.apply(entry)
        return sum(len(records) for records in got.values())

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()


class IngressForwarder(BatchLoop):
    """The ingress stage; see the module's docstring."""

    name = "ingress"
    max_request_size = 2 * 1024 * 1024 + 64 * 1024  # a parked value may be 2 MB (records.py)

    def __init__(
        self, kafka: KafkaSettings, hub: HubSettings, keys: HubKeys, metrics: Metrics,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        topics = tuple(kafka.topic(t) for t in (*INGEST_TOPICS, QUARANTINE_TOPIC))
        super().__init__(kafka, hub, hub.app_id + INGRESS_GROUP_SUFFIX, topics, **kwargs)
        self.keys, self.metrics = keys, metrics
        self.quarantine_topic = kafka.topic(QUARANTINE_TOPIC)
        self.view = QuarantineView(slim=True)
        self.tail = QuarantineTail(kafka, self.view, f"{self.group}-quarantine")
        self.parking = Parking(keys, hub.ce_source, self.view, partitions=1)
        self._alerted = self._gauged = 0.0

    async def started_producer(self) -> None:
        assert self.producer is not None  # noqa: S101 - started before this is called
        partitions = await self.producer.partitions_for(self.quarantine_topic)
        await self.tail.start(partitions)  # every hold is known before the first message
        self.parking.partitions = self.tail.partitions

    async def closing(self) -> None:
        await self.tail.stop()

    async def prepare(self) -> None:
        await self.tail.poll()
        self._alert()

    async def handle(self, fetched: Fetched) -> None:
        for tp, records in fetched.items():
            quarantined = tp.topic == self.quarantine_topic
            for r in records:
                if quarantined:
                    self.parking.quarantined(Message.of(r))
                else:
                    self.parking.ingest(Message.of(r))
        plan = self.parking.take()
        await self._send(plan)
        for outcome, n in plan.outcomes.items():
            self.metrics.count(f"ingress.{outcome}", n)
        self.done(fetched)

    async def _send(self, plan: Plan) -> None:
        for part in (plan.first, plan.last):  # the end of a head after what it held
            acked = await self.deliver(out for out, _ in part)
            for (_, entry), meta in zip(part, acked, strict=True):
                if entry is not None:
                    self.view.confirm(entry.id, meta.offset)

    def _alert(self) -> None:
        """Update the gauges (every second) and raise open parked records loudly (every
        :data:`ALERT_INTERVAL` seconds)."""
        now = time.monotonic()
        if now - self._gauged < 1.0:
            return
        self._gauged = now
        waiting = self.view.open()
        self.metrics.gauge("quarantine.open", len(waiting))
        self.metrics.gauge("quarantine.holds", len({e.hold for e in waiting if e.hold}))
        if not waiting or now - self._alerted < ALERT_INTERVAL:
            return
        self._alerted = now
        oldest = min(e.at for e in waiting)
        age = (datetime.now(UTC) - oldest).days
        log.error(
            "parked records await an operator",
            open=len(waiting),
            held=sum(1 for e in waiting if e.held_by),
            oldest=oldest.isoformat(),
            oldest_expires_in_days=max(0, _RETENTION_DAYS - age),
            action="wijkhub quarantine list; then release or discard each (docs/hub.md)",
        )
