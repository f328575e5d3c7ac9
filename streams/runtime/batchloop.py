"""A consumer-group batch loop on aiokafka, run as a service of the worker's Faust app.

The hub's two stages (ingress, household) are subclasses: each says which topics it reads in
which group and what it does with one fetched batch (:meth:`BatchLoop.handle`); this class
does the rest the same way for both:

* ``getmany`` up to ``WIJKHUB_HUB_BATCH_SIZE`` messages, then ``handle`` them under a lock;
* ``handle`` sends what it produces with :meth:`deliver`, which returns once the broker
  acknowledged every message; only then are the batch's offsets marked for commit;
* offsets are committed at most every ``WIJKHUB_HUB_COMMIT_INTERVAL`` seconds, on revocation
  and on stop (at-least-once: a crash replays the uncommitted batches);
* a rebalance takes the lock: what was processed is committed first, and a batch fetched
  across the rebalance is not processed but fetched again from where it began;
* every ``WIJKHUB_HUB_LAG_INTERVAL`` seconds a watch task (:mod:`streams.runtime.stagewatch`)
  reads the lag of the assigned partitions and asks the stall watchdog about them: a stalled
  partition gets the stage a new consumer (:meth:`BatchLoop.renew`: it leaves the group and
  joins again, so the group re-assigns the partitions); a partition stalled again at the same
  position makes the worker exit with status 75.

What the loop counts goes to the stage's :class:`~streams.runtime.metrics.StageState` once per
batch: records in per topic, messages out per topic, the batch's duration.

Why not Faust agents: iterating a Faust stream costs ~75 µs per event on the reference
machine before any work (a no-op agent, monitor sensor removed), and its producer sends a
request per message; see docs/hub.md.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import CommitFailedError, IllegalStateError
from mode import Service

from schemas.logging import get_logger
from schemas.settings import KafkaSettings
from streams.runtime.messages import Outgoing
from streams.runtime.metrics import Metrics
from streams.runtime.stagewatch import StageWatch
from streams.settings import HubSettings

__all__ = ["BatchLoop", "run_with"]

log = get_logger(__name__)

_COMMIT_TIMEOUT = 15.0
_FETCH_WAIT_MS = 50
Fetched = dict[TopicPartition, list[Any]]
L = TypeVar("L", bound="BatchLoop")


def run_with(app: Any, loop: type[L], *args: Any) -> type[L]:
    """Have the Faust ``app`` start a ``loop(*args)`` with the worker and stop it with it.

    Faust instantiates the services it was given (with its event loop and beacon); the class
    returned binds ``args`` so that it can.
    """

    class Bound(loop):  # type: ignore[valid-type,misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)

    app.service(Bound)
    return Bound


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, loop: BatchLoop) -> None:
        self.loop = loop

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self.loop.on_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self.loop.on_assigned(assigned)


class BatchLoop(Service):
    """Consume ``topics`` in ``group`` in batches; subclasses implement :meth:`handle`."""

    name = "batch loop"
    max_request_size = 1024 * 1024
    """The producer's largest request: the largest message a stage may send."""

    def __init__(
        self, kafka: KafkaSettings, hub: HubSettings, group: str, topics: Iterable[str],
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(**kwargs)
        self.kafka, self.hub, self.group = kafka, hub, group
        self.topics = tuple(topics)
        self._pending: dict[TopicPartition, int] = {}
        self._last_commit = time.monotonic()
        self._generation = 0
        self._lock = asyncio.Lock()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self.metrics = Metrics()  # the subclasses put the worker's shared one here
        self.stage_name = group[len(hub.app_id) + 1 :] or group
        self.watch = StageWatch(self)
        self.renewing: str | None = None
        """Why the stage needs a new consumer (the watchdog's remedy), until it has one."""
        self.renewing_since = 0.0
        self.preparing = False
        """The loop is in :meth:`prepare` (e.g. restoring state): no stall clock runs."""
        self._watch: asyncio.Task[None] | None = None

    # -- what subclasses provide ---------------------------------------------------------

    async def handle(self, fetched: Fetched) -> None:
        """Process one batch (records per partition, in offset order)."""
        raise NotImplementedError

    async def prepare(self) -> None:
        """Called under the lock before each batch (e.g. to restore newly assigned state)."""

    async def assigned(self, partitions: set[int]) -> None:
        """Called under the lock with the partition numbers of a new assignment."""

    async def closing(self) -> None:
        """Called under the lock when the loop stops, after the last commit."""

    # -- helpers for subclasses ----------------------------------------------------------

    async def deliver(self, messages: Iterable[Outgoing]) -> list[Any]:
        """Send ``messages`` (catalogue-relative topics); return once all were acknowledged,
        with the broker's record metadata (topic, partition, offset) of each, in order."""
        producer = self.producer
        assert producer is not None  # noqa: S101 - started in on_start
        topic = self.kafka.topic
        sent, topics = [], []
        for m in messages:
            name = topic(m.topic)
            sent.append(
                await producer.send(name, m.value, m.key, partition=m.partition, headers=m.headers)
            )
            topics.append(name)
        if not sent:
            return []
        acked = list(await asyncio.gather(*sent))
        self.metrics.stage(self.stage_name).messages_out.update(Counter(topics))
        return acked

    def done(self, fetched: Fetched) -> None:
        """Mark ``fetched`` as processed: its offsets go with the next commit."""
        for tp, records in fetched.items():
            if records:
                self._pending[tp] = records[-1].offset + 1

    # -- lifecycle -----------------------------------------------------------------------

    async def on_start(self) -> None:
        cfg = self.kafka.aiokafka_config()
        client_id = f"{self.group}-{self.hub.app_id}"[:200]
        self.producer = AIOKafkaProducer(
            **cfg,
            client_id=client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            max_batch_size=256 * 1024,
            max_request_size=self.max_request_size,
        )
        await self.producer.start()
        await self.started_producer()
        self.consumer = await self._start_consumer()
        self._task = asyncio.create_task(self._guarded())
        if self.hub.lag_interval > 0:
            self._watch = asyncio.create_task(self.watch.run())
        log.info("batch loop started", group=self.group, topics=len(self.topics))

    async def _start_consumer(self) -> AIOKafkaConsumer:
        """A consumer of the stage's topics in its group, subscribed (joins on first fetch)."""
        consumer = AIOKafkaConsumer(
            **self.kafka.aiokafka_config(),
            client_id=f"{self.group}-{self.hub.app_id}"[:200],
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            session_timeout_ms=int(self.hub.session_timeout * 1000),
            heartbeat_interval_ms=int(min(3.0, self.hub.session_timeout / 3) * 1000),
            max_partition_fetch_bytes=1 << 20,
            # a partition whose records were just taken joins the next fetch request only
            # once the one in flight returns: the broker holds that one up to this long
            # when nothing new arrives for its partitions (default 500 ms of added latency)
            fetch_max_wait_ms=_FETCH_WAIT_MS,
        )
        await consumer.start()
        consumer.subscribe(list(self.topics), listener=_Listener(self))
        self.metrics.stage(self.stage_name).joined = False
        return consumer

    async def started_producer(self) -> None:
        """Called once the producer runs, before the consumer joins its group."""

    async def on_stop(self) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=30)
            if not self._task.done():
                self._task.cancel()
        async with self._lock:
            await self._commit(force=True)
            await self.closing()
        for client in (self.consumer, self.producer):
            if client is not None:
                await client.stop()

    async def _guarded(self) -> None:
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a dead loop must take the worker down
            log.exception("batch loop failed", group=self.group, error=type(exc).__name__)
            await self.crash(exc)

    # -- rebalancing ---------------------------------------------------------------------

    async def on_revoked(self, revoked: Any) -> None:
        """Commit what was processed; a batch fetched before now is fetched again."""
        async with self._lock:
            self._generation += 1
            await self._commit(force=True)
            self._pending.clear()

    async def on_assigned(self, assigned: Any) -> None:
        partitions = {tp.partition for tp in assigned if tp.topic in self.topics}
        stage = self.metrics.stage(self.stage_name)
        stage.joined, stage.assigned = True, len(assigned)
        stage.rebalances += 1
        stage.lag = {k: v for k, v in stage.lag.items() if TopicPartition(*k) in assigned}
        self.watch.tracker.restart_clocks()
        async with self._lock:
            await self.assigned(partitions)
        log.info("partitions assigned", group=self.group, partitions=sorted(partitions))

    # -- the loop ------------------------------------------------------------------------

    async def _run(self) -> None:
        stage = self.metrics.stage(self.stage_name)
        while not self._stopping:
            if self.renewing is not None:
                await self._renew_consumer(self.renewing)
            consumer = self.consumer
            assert consumer is not None  # noqa: S101 - started in on_start
            generation = self._generation
            fetched = await consumer.getmany(timeout_ms=200, max_records=self.hub.batch_size)
            async with self._lock:
                self.preparing = True
                try:
                    await self.prepare()
                finally:
                    self.preparing = False
                if fetched and generation != self._generation:
                    self._refetch(fetched)
                elif fetched:
                    started = time.perf_counter()
                    await self.handle(fetched)
                    stage.batch(fetched, time.perf_counter() - started)
                await self._commit()

    def _refetch(self, fetched: Fetched) -> None:
        """Drop a batch fetched across a rebalance; fetch it again where still assigned."""
        assert self.consumer is not None  # noqa: S101 - started in on_start
        assignment = self.consumer.assignment()
        for tp, records in fetched.items():
            if tp in assignment and records:
                self.consumer.seek(tp, records[0].offset)

    async def _commit(self, *, force: bool = False) -> None:
        if not self._pending or self.consumer is None:
            return
        if not force and time.monotonic() - self._last_commit < self.hub.commit_interval:
            return
        offsets, self._pending = dict(self._pending), {}
        try:
            await asyncio.wait_for(self.consumer.commit(offsets), _COMMIT_TIMEOUT)
        except (CommitFailedError, IllegalStateError, TimeoutError) as exc:
            # a rebalance took the partitions: the next owner replays from the last commit,
            # and what was done twice only adds duplicates (idempotent outputs, engine dedup)
            log.warning("offsets not committed", group=self.group, error=type(exc).__name__)
        self._last_commit = time.monotonic()

    # -- the stall watchdog's remedy ----------------------------------------------------

    def renew(self, why: str) -> None:
        """Have the loop give the stage a new consumer before its next fetch."""
        self.renewing, self.renewing_since = why, time.monotonic()

    async def _renew_consumer(self, why: str) -> None:
        """Commit what was processed, leave the group and join it again with a new consumer.

        The stage lets go of every partition first (``assigned(set())``: the household stage
        closes its stores), so a partition that comes back is restored from its checkpoint
        and the changelog, as after any move.
        """
        async with self._lock:
            self._generation += 1
            await self._commit(force=True)
            self._pending.clear()
            await self.assigned(set())
        old, self.consumer = self.consumer, None
        if old is not None:
            await old.stop()
        self.consumer = await self._start_consumer()
        self.renewing = None
        self.watch.tracker.restart_clocks()
        log.warning("stage consumer renewed", group=self.group, why=why)
