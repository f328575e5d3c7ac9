"""The stage's watch: every ``WIJKHUB_HUB_LAG_INTERVAL`` seconds, its lag and the stall watchdog.

A task beside a batch loop (:mod:`streams.runtime.batchloop`) reads the end offsets and the
positions of the stage's assigned partitions (one ListOffsets round trip; positions are
local), writes the lag gauges, and feeds the readings to the
:class:`~streams.runtime.watchdog.StallTracker`. A stalled partition gets the stage a new
consumer (:meth:`BatchLoop.renew`); one stalled again at the same offset, or a loop that does
not come round to renew its consumer within ``WIJKHUB_HUB_STALL_SECONDS``, crashes the stage
with :class:`~streams.runtime.watchdog.PartitionStalledError` (the worker exits 75). No
verdict while the loop restores state, or when the broker does not answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from aiokafka.errors import IllegalStateError

from schemas.logging import get_logger
from streams.runtime.watchdog import EXIT_STALLED, PartitionStalledError, Stall, StallTracker

if TYPE_CHECKING:
    from streams.runtime.batchloop import BatchLoop

__all__ = ["StageWatch"]

log = get_logger("streams.runtime.batchloop")
_READ_TIMEOUT = 5.0


class StageWatch:
    """The lag reader and stall watchdog of one batch loop."""

    def __init__(self, loop: BatchLoop) -> None:
        self.loop = loop
        self.tracker: StallTracker[Any] = StallTracker(loop.hub.stall_seconds)

    async def run(self) -> None:
        """Read and judge every ``WIJKHUB_HUB_LAG_INTERVAL`` seconds until cancelled."""
        loop = self.loop
        while True:
            await asyncio.sleep(loop.hub.lag_interval)
            try:
                await self.read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker away, a rebalance under way: read next time
                log.info("lag not read", group=loop.group, error=type(exc).__name__)

    async def read(self) -> None:
        """Read end offsets and positions; update the lag gauges; act on stalls."""
        loop = self.loop
        consumer = loop.consumer
        stage = loop.metrics.stage(loop.stage_name)
        if loop.renewing is not None and loop.hub.stall_seconds > 0:
            waited = time.monotonic() - loop.renewing_since
            if waited > loop.hub.stall_seconds:  # the loop never came round to renew it
                stage.stalls["exit"] += 1
                await loop.crash(
                    PartitionStalledError(
                        f"the {loop.stage_name} stage did not come round to renew its consumer "
                        f"within {waited:.0f} s (its loop is stuck); exiting with status "
                        f"{EXIT_STALLED} for the supervisor to restart the worker"
                    )
                )
            return
        if consumer is None or loop.preparing:
            self.tracker.restart_clocks()  # a restore is progress of its own
            return
        tps = [tp for tp in consumer.assignment() if tp.topic in loop.topics]
        ends = await asyncio.wait_for(consumer.end_offsets(tps), _READ_TIMEOUT) if tps else {}
        positions: dict[Any, int] = {}
        for tp in tps:
            try:
                positions[tp] = await asyncio.wait_for(consumer.position(tp), 1.0)
            except (IllegalStateError, TimeoutError):
                continue  # just revoked, or its committed offset is still being fetched
        if loop.preparing or consumer is not loop.consumer:
            return  # a restore began or the consumer changed while reading
        stage.lag = {(tp.topic, tp.partition): max(0, ends[tp] - p) for tp, p in positions.items()}
        stage.lag_read_at = time.monotonic()
        stalled = self.tracker.observe(time.monotonic(), positions, ends)
        stage.stalled = {(s.partition.topic, s.partition.partition): s.seconds for s in stalled}
        if stalled:
            await self._stalled(stalled)

    async def _stalled(self, stalled: list[Stall[Any]]) -> None:
        loop = self.loop
        stage = loop.metrics.stage(loop.stage_name)
        again = [s for s in stalled if s.again]
        action = "exit" if again else "resubscribe"
        stage.stalls[action] += len(again or stalled)
        for s in again or stalled:
            log.error(
                "partition stalled",
                group=loop.group,
                topic=s.partition.topic,
                partition=s.partition.partition,
                position=s.position,
                lag=s.lag,
                seconds=round(s.seconds, 1),
                action="the worker exits for its supervisor to restart it"
                if again
                else "the stage gets a new consumer; the group re-assigns its partitions",
            )
        if again:
            where = ", ".join(f"{s.partition.topic}/{s.partition.partition}" for s in again)
            await loop.crash(
                PartitionStalledError(
                    f"{where} stalled again at the same offset after the {loop.stage_name} stage "
                    f"got a new consumer; exiting with status {EXIT_STALLED} for the supervisor "
                    "to restart the worker (docs/operations.md, stalled partitions)"
                )
            )
        else:
            loop.renew("stalled")
