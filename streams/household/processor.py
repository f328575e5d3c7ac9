"""The household processor: the household stage as a batch loop (:mod:`streams.runtime.batchloop`).

Reads ``household-events.v1`` and ``decisions.v1`` (co-partitioned; the range assignor gives
both topics' partition *p* to the same worker) in the group ``<app id>.household``, runs each
batch through :func:`streams.household.batch.process` and then:

1. sends the outputs (proposals, retractions, feedback, dead letters) and waits until the
   broker acknowledged every one;
2. only then sends each changed household's new state to the changelog topic (compacted, one
   partition per input partition) and waits for it;
3. writes the same state to the local store with the changelog offset as checkpoint;
4. marks the input offsets for the next commit.

A crash anywhere replays at most the uncommitted batches: their events are duplicates for the
engine (it remembers recent event ids) and emit nothing, and no state is ever recorded whose
outputs were not delivered first. On assignment a partition's store is opened and brought up
to date from the changelog after its checkpoint before any event of it is processed.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.catalogue import Role, TopicSpec, ensure_topics, topic_spec
from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.household.batch import Batch, process
from streams.household.store import PartitionStore, open_store
from streams.rules import RuleBook
from streams.runtime.batchloop import BatchLoop, Fetched
from streams.runtime.metrics import Metrics
from streams.runtime.topics import DECISIONS_TOPIC, HOUSEHOLD_TOPIC
from streams.settings import HOUSEHOLD_GROUP_SUFFIX, HubSettings

__all__ = ["CHANGELOG", "HouseholdProcessor", "changelog_topic", "ensure_changelog"]

log = get_logger(__name__)

STALE_AFTER = 12 * 3600.0
"""A local store not written for this long is rebuilt from the changelog (see store.py):
half the changelog's ``delete.retention.ms``."""

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


class HouseholdProcessor(BatchLoop):
    """The household stage; see the module's docstring."""

    name = "household processor"

    def __init__(
        self, kafka: KafkaSettings, hub: HubSettings, book: RuleBook, metrics: Metrics,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        topics = (kafka.topic(HOUSEHOLD_TOPIC), kafka.topic(DECISIONS_TOPIC))
        super().__init__(kafka, hub, hub.app_id + HOUSEHOLD_GROUP_SUFFIX, topics, **kwargs)
        self.book, self.metrics = book, metrics
        self.changelog = changelog_topic(hub.app_id)
        self._stores: dict[int, PartitionStore] = {}
        self._to_restore: set[int] = set()
        self._restorer: AIOKafkaConsumer | None = None

    async def started_producer(self) -> None:
        self._restorer = AIOKafkaConsumer(
            **self.kafka.aiokafka_config(),
            client_id=f"{self.group}-restore",
            group_id=None,
            enable_auto_commit=False,
            max_partition_fetch_bytes=4 << 20,
            fetch_max_bytes=16 << 20,
        )
        await self._restorer.start()

    async def closing(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
        if self._restorer is not None:
            await self._restorer.stop()

    async def assigned(self, partitions: set[int]) -> None:
        """Close the stores of partitions no longer ours; restore new ones before use."""
        for p in set(self._stores) - partitions:
            self._stores.pop(p).close()
        self._to_restore = (self._to_restore & partitions) | (partitions - set(self._stores))
        self.metrics.stage(self.stage_name).restoring = len(self._to_restore)

    async def prepare(self) -> None:
        if self._to_restore:
            await self._restore()

    # -- a batch -------------------------------------------------------------------------

    async def handle(self, fetched: Fetched) -> None:
        fetched = {tp: r for tp, r in fetched.items() if r and tp.partition in self._stores}
        by_partition: dict[int, list[Any]] = defaultdict(list)
        for tp, records in fetched.items():
            by_partition[tp.partition].extend(records)
        ce_source = self.hub.ce_source
        batches = {
            p: process(records, self._stores[p].get, self.book, ce_source)
            for p, records in by_partition.items()
        }
        # 1. outputs, acknowledged before any state is recorded anywhere
        await self.deliver(out for batch in batches.values() for out in batch.outputs)
        # 2. the changelog, then 3. the local stores with the changelog offset
        last = await asyncio.gather(*(self._send_state(p, b) for p, b in batches.items()))
        for (p, batch), offset in zip(batches.items(), last, strict=True):
            if offset is not None:
                self._stores[p].write(batch.writes, offset)
            self._count(batch)
        self.done(fetched)

    async def _send_state(self, partition: int, batch: Batch) -> int | None:
        """Send ``batch.writes`` to the changelog; the last offset written, once acknowledged."""
        producer = self.producer
        assert producer is not None  # noqa: S101 - started in on_start
        if not batch.writes:
            return None
        builders = [producer.create_batch()]
        for key, value in batch.writes.items():
            if builders[-1].append(key=key, value=value, timestamp=None) is None:  # full
                builders.append(producer.create_batch())
                builders[-1].append(key=key, value=value, timestamp=None)
        sent = [await producer.send_batch(b, self.changelog, partition=partition) for b in builders]
        acked = await asyncio.gather(*sent)
        last = max(m.offset + b.record_count() - 1 for m, b in zip(acked, builders, strict=True))
        return int(last)

    def _count(self, batch: Batch) -> None:
        for outcome, n in batch.outcomes.items():
            self.metrics.count(f"household.{outcome}", n)
        for record in batch.records:
            self.metrics.count(f"out.{type(record).__name__}")
        for topic, partition, offset, reason in batch.dead:
            log.error("household message dead-lettered", topic=topic, partition=partition,
                      offset=offset, reason=reason)  # fmt: skip

    # -- restore -------------------------------------------------------------------------

    async def _restore(self) -> None:
        restorer = self._restorer
        assert restorer is not None  # noqa: S101 - started in started_producer
        progress = self.metrics.stage(self.stage_name)
        for n, p in enumerate(sorted(self._to_restore)):
            progress.restoring = len(self._to_restore) - n
            started = time.monotonic()
            store = self._stores.get(p) or open_store(self.hub.store, self.hub.data_dir, p)
            self._stores[p] = store
            tp = TopicPartition(self.changelog, p)
            begin = (await restorer.beginning_offsets([tp]))[tp]
            end = (await restorer.end_offsets([tp]))[tp]
            reason = _untrusted(store, begin, end)
            if reason:
                log.info("household store rebuilt from the changelog", partition=p, why=reason)
                store.clear()
            start = max(store.checkpoint + 1, begin)
            applied = await self._replay(store, tp, start, end) if start < end else 0
            log.info("household partition restored", partition=p, changelog_entries=applied,
                     seconds=round(time.monotonic() - started, 2))  # fmt: skip
        self._to_restore.clear()
        progress.restoring = progress.restore_remaining = 0

    async def _replay(self, store: PartitionStore, tp: TopicPartition, start: int, end: int) -> int:
        restorer = self._restorer
        assert restorer is not None  # noqa: S101 - started in started_producer
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
            progress = self.metrics.stage(self.stage_name)
            progress.restored += len(writes)
            progress.restore_remaining = end - position
        restorer.unsubscribe()
        return applied


def _untrusted(store: PartitionStore, begin: int, end: int) -> str | None:
    """Why ``store`` must be rebuilt from a changelog holding offsets ``begin``..``end``-1."""
    if store.checkpoint < 0:
        return None
    if store.checkpoint >= end:
        return "local state is ahead of the changelog (was the topic recreated?)"
    if store.checkpoint + 1 < begin:
        return "the changelog no longer holds everything after the local checkpoint"
    if time.time() - store.written_at > STALE_AFTER:
        return "local state is older than the changelog keeps deletions"
    return None
