"""The household processor: a batch loop on aiokafka beside the Faust app.

Why not a Faust agent: iterating a Faust stream costs ~75 µs per event on the reference
machine before any work is done (measured with a no-op agent, monitor sensor off), more than
decoding and the rule engine together, so a per-event agent cannot come near the speed of a
plain consumer (bench ``replay``). This loop takes what the consumer fetched (up to
``WIJKHUB_HUB_BATCH_SIZE`` messages), runs it through :func:`streams.household.batch.process`
and then, per batch:

1. sends the outputs (proposals, retractions, feedback, dead letters) and waits until the
   broker acknowledged every one;
2. only then sends each changed household's new state to the changelog topic (compacted, one
   partition per input partition) and waits for it;
3. writes the same state to the local store with the changelog offset as checkpoint;
4. commits the input offsets (at most every ``WIJKHUB_HUB_COMMIT_INTERVAL`` seconds).

A crash anywhere replays at most the uncommitted batches: their events are duplicates for the
engine (it remembers recent event ids) and emit nothing, and no state is ever recorded whose
outputs were not delivered first. The input is ``household-events.v1`` and ``decisions.v1``
(co-partitioned; the range assignor gives both topics' partition *p* to the same worker),
consumed in the group ``<app id>.household``. On assignment a partition's store is opened
and brought up to date from the changelog after its checkpoint before any event is processed.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError, IllegalStateError
from mode import Service

from schemas.catalogue import Role, TopicSpec, ensure_topics, topic_spec
from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.agents._metrics import Metrics
from streams.config import HOUSEHOLD_GROUP_SUFFIX, HubSettings
from streams.household.batch import DECISIONS_TOPIC, HOUSEHOLD_TOPIC, Batch, process
from streams.household.store import PartitionStore, open_store
from streams.rules import RuleBook

__all__ = [
    "CHANGELOG",
    "HouseholdProcessor",
    "ProcessorConfig",
    "aiokafka_config",
    "changelog_topic",
    "ensure_changelog",
    "group_id",
]

log = get_logger(__name__)

_COMMIT_TIMEOUT = 15.0


def group_id(app_id: str) -> str:
    """The consumer group of the household processor of hub ``app_id``."""
    return app_id + HOUSEHOLD_GROUP_SUFFIX


CHANGELOG = TopicSpec(
    "households-changelog",
    "The household processor's state: the latest compact state per consenting household "
    "(pseudonymised), a tombstone after a purge. Key: hh_ref. Read back only by the hub.",
    "hh_ref",
    (),
    frozenset({Role.HUB}),
    frozenset({Role.HUB}),
    retention_days=36500,
    partitions=topic_spec(HOUSEHOLD_TOPIC).partitions,
    cleanup_policy="compact",
    extra_config={"delete.retention.ms": str(24 * 3600 * 1000)},
)
"""Created per hub app id as ``<app id>.households-changelog`` (:func:`ensure_changelog`);
as many partitions as the household topic, whose partition *p* it mirrors."""


def changelog_topic(app_id: str) -> str:
    """The compacted topic that holds every household's state of hub ``app_id``."""
    return f"{app_id}.{CHANGELOG.name}"


def ensure_changelog(kafka: KafkaSettings, app_id: str) -> None:
    """Create the changelog topic of hub ``app_id`` if it is missing."""
    ensure_topics(kafka.model_copy(update={"topic_prefix": app_id}), catalogue=(CHANGELOG,))


def aiokafka_config(kafka: KafkaSettings) -> dict[str, Any]:
    """Connection keyword arguments for aiokafka clients."""
    cfg = kafka.kafka_python_config()
    if "SSL" in kafka.security_protocol:
        cfg["ssl_context"] = ssl.create_default_context()
    return cfg


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    """What the processor needs from the worker."""

    kafka: KafkaSettings
    hub: HubSettings
    book: RuleBook
    metrics: Metrics
    stale_after: float = 12 * 3600.0
    """A local store not written for this long is rebuilt from the changelog (see store.py);
    half the changelog's ``delete.retention.ms``."""


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, processor: HouseholdProcessor) -> None:
        self.processor = processor

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.processor.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.processor.on_assigned(assigned)


class HouseholdProcessor(Service):
    """Consumes the household topics in batches; see the module's docstring."""

    def __init__(self, config: ProcessorConfig, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        kafka, hub = config.kafka, config.hub
        self.inputs = (kafka.topic(HOUSEHOLD_TOPIC), kafka.topic(DECISIONS_TOPIC))
        self.changelog = changelog_topic(hub.app_id)
        self.group = group_id(hub.app_id)
        self._stores: dict[int, PartitionStore] = {}
        self._to_restore: set[int] = set()
        self._pending: dict[TopicPartition, int] = {}
        self._last_commit = time.monotonic()
        self._generation = 0
        self._lock = asyncio.Lock()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._restorer: AIOKafkaConsumer | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def on_start(self) -> None:
        hub, cfg = self.config.hub, aiokafka_config(self.config.kafka)
        self._producer = AIOKafkaProducer(
            **cfg,
            client_id=f"{hub.app_id}-household",
            acks="all",
            enable_idempotence=True,
            max_batch_size=256 * 1024,
            max_request_size=1024 * 1024,
        )
        await self._producer.start()
        self._restorer = AIOKafkaConsumer(
            **cfg,
            client_id=f"{hub.app_id}-household-restore",
            group_id=None,
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 << 20,
            fetch_max_bytes=16 << 20,
        )
        await self._restorer.start()
        self._consumer = AIOKafkaConsumer(
            **cfg,
            client_id=f"{hub.app_id}-household",
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            session_timeout_ms=int(hub.session_timeout * 1000),
            heartbeat_interval_ms=int(min(3.0, hub.session_timeout / 3) * 1000),
            max_partition_fetch_bytes=1 << 20,
        )
        await self._consumer.start()
        self._consumer.subscribe(list(self.inputs), listener=_Listener(self))
        self._loop_task = asyncio.create_task(self._guarded_loop())
        log.info("household processor started", group=self.group, changelog=self.changelog)

    async def on_stop(self) -> None:
        self._stopping = True
        if self._loop_task is not None:
            await asyncio.wait([self._loop_task], timeout=30)
            if not self._loop_task.done():
                self._loop_task.cancel()
        async with self._lock:
            await self._commit(force=True)
            for store in self._stores.values():
                store.close()
            self._stores.clear()
        for client in (self._consumer, self._restorer, self._producer):
            if client is not None:
                await client.stop()

    async def _guarded_loop(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a dead loop must take the worker down
            log.exception("household processor failed", error=type(exc).__name__)
            await self.crash(exc)

    # -- rebalancing ---------------------------------------------------------------------

    async def on_revoked(self, revoked: Any) -> None:
        """Commit what was processed; a batch fetched before now is not processed but
        fetched again (see :meth:`_refetch`)."""
        async with self._lock:
            self._generation += 1
            await self._commit(force=True)
            self._pending.clear()

    async def on_assigned(self, assigned: Any) -> None:
        """Close the stores of partitions no longer ours; restore new ones before use."""
        partitions = {tp.partition for tp in assigned if tp.topic in self.inputs}
        async with self._lock:
            for p in set(self._stores) - partitions:
                self._stores.pop(p).close()
            self._to_restore = (self._to_restore & partitions) | (partitions - set(self._stores))
        log.info("household partitions assigned", partitions=sorted(partitions))

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None  # noqa: S101 - started in on_start
        size = self.config.hub.batch_size
        while not self._stopping:
            generation = self._generation
            fetched = await consumer.getmany(timeout_ms=200, max_records=size)
            async with self._lock:
                if self._to_restore:
                    await self._restore()
                if fetched and generation != self._generation:
                    self._refetch(fetched)
                elif fetched:
                    await self._process(fetched)
                await self._commit()

    def _refetch(self, fetched: dict[TopicPartition, list[Any]]) -> None:
        """Drop a batch fetched across a rebalance; fetch it again where still assigned."""
        assert self._consumer is not None  # noqa: S101 - started in on_start
        assigned = self._consumer.assignment()
        for tp, records in fetched.items():
            if tp in assigned and records:
                self._consumer.seek(tp, records[0].offset)

    async def _process(self, fetched: dict[TopicPartition, list[Any]]) -> None:
        producer = self._producer
        assert producer is not None  # noqa: S101 - started in on_start
        fetched = {tp: r for tp, r in fetched.items() if r and tp.partition in self._stores}
        by_partition: dict[int, list[Any]] = defaultdict(list)
        for tp, records in fetched.items():
            by_partition[tp.partition].extend(records)
        batches = {
            p: process(records, self._stores[p].get, self.config.book, self.config.hub.ce_source)
            for p, records in by_partition.items()
        }
        # 1. outputs, acknowledged before any state is recorded anywhere
        sent = [
            await producer.send(
                self.config.kafka.topic(out.topic), out.value, out.key, headers=out.headers
            )
            for batch in batches.values()
            for out in batch.outputs
        ]
        if sent:
            await asyncio.gather(*sent)
        # 2. the changelog, then 3. the local stores with the changelog offset
        last = await asyncio.gather(*(self._send_state(p, b) for p, b in batches.items()))
        for (p, batch), offset in zip(batches.items(), last, strict=True):
            if offset is not None:
                self._stores[p].write(batch.writes, offset)
            self._count(batch)
        for tp, records in fetched.items():
            self._pending[tp] = records[-1].offset + 1

    async def _send_state(self, partition: int, batch: Batch) -> int | None:
        """Send ``batch.writes`` to the changelog; the last offset written, once acknowledged."""
        producer = self._producer
        assert producer is not None  # noqa: S101 - started in on_start
        if not batch.writes:
            return None
        futures: list[tuple[asyncio.Future[Any], int]] = []
        builder = producer.create_batch()
        for key, value in batch.writes.items():
            if builder.append(key=key, value=value, timestamp=None) is None:
                futures.append(
                    (await producer.send_batch(builder, self.changelog, partition=partition),
                     builder.record_count())
                )  # fmt: skip
                builder = producer.create_batch()
                builder.append(key=key, value=value, timestamp=None)
        futures.append(
            (await producer.send_batch(builder, self.changelog, partition=partition),
             builder.record_count())
        )  # fmt: skip
        last = -1
        for future, count in futures:
            meta = await future
            last = max(last, meta.offset + count - 1)
        return last

    def _count(self, batch: Batch) -> None:
        metrics = self.config.metrics
        for outcome, n in batch.outcomes.items():
            metrics.count(f"household.{outcome}", n)
        for record in batch.records:
            metrics.count(f"out.{type(record).__name__}")
        for topic, partition, offset, reason in batch.dead:
            log.error("household message dead-lettered", topic=topic, partition=partition,
                      offset=offset, reason=reason)  # fmt: skip

    async def _commit(self, *, force: bool = False) -> None:
        if not self._pending or self._consumer is None:
            return
        if not force and time.monotonic() - self._last_commit < self.config.hub.commit_interval:
            return
        offsets, self._pending = dict(self._pending), {}
        try:
            await asyncio.wait_for(self._consumer.commit(offsets), _COMMIT_TIMEOUT)
        except (CommitFailedError, IllegalStateError, TimeoutError) as exc:
            # a rebalance took the partitions: the next owner replays from the last commit,
            # and the engine drops the events it has already seen
            log.warning("household offsets not committed", error=type(exc).__name__)
        self._last_commit = time.monotonic()

    # -- restore -------------------------------------------------------------------------

    async def _restore(self) -> None:
        restorer = self._restorer
        assert restorer is not None  # noqa: S101 - started in on_start
        hub = self.config.hub
        for p in sorted(self._to_restore):
            started = time.monotonic()
            store = self._stores.get(p) or open_store(hub.store, hub.data_dir, p)
            self._stores[p] = store
            tp = TopicPartition(self.changelog, p)
            begin = (await restorer.beginning_offsets([tp]))[tp]
            end = (await restorer.end_offsets([tp]))[tp]
            reason = self._untrusted(store, begin, end)
            if reason:
                log.info("household store rebuilt from the changelog", partition=p, why=reason)
                store.clear()
            start = max(store.checkpoint + 1, begin)
            applied = await self._replay(store, tp, start, end) if start < end else 0
            log.info("household partition restored", partition=p, changelog_entries=applied,
                     seconds=round(time.monotonic() - started, 2))  # fmt: skip
        self._to_restore.clear()

    def _untrusted(self, store: PartitionStore, begin: int, end: int) -> str | None:
        if store.checkpoint < 0:
            return None
        if store.checkpoint >= end:
            return "local state is ahead of the changelog (was the topic recreated?)"
        if store.checkpoint + 1 < begin:
            return "the changelog no longer holds everything after the local checkpoint"
        if time.time() - store.written_at > self.config.stale_after:
            return "local state is older than the changelog keeps deletions"
        return None

    async def _replay(self, store: PartitionStore, tp: TopicPartition, start: int, end: int) -> int:
        restorer = self._restorer
        assert restorer is not None  # noqa: S101 - started in on_start
        restorer.assign([tp])
        restorer.seek(tp, start)
        applied, position = 0, start
        while position < end:
            got = await restorer.getmany(tp, timeout_ms=1000, max_records=20_000)
            records = got.get(tp, [])
            if not records:
                position = await restorer.position(tp)
                continue
            writes: dict[bytes, bytes | None] = {}
            for record in records:
                if record.offset >= end:
                    break
                writes[record.key] = record.value
                position = record.offset + 1
            store.write(writes, position - 1)
            applied += len(writes)
        restorer.unsubscribe()
        return applied
