"""What the hub's stages did and where they are: counters, gauges, the canonical batch line.

:class:`Metrics` is the one object the stages write to, per batch (never per event: the
household stage runs tens of thousands of events a second). Two views read it:

* every few seconds (when anything happened) one log line ``hub batch`` with the counts since
  the previous line, per stage and outcome;
* Prometheus, at scrape time (:mod:`streams.runtime.exposition`): the same counters, and per
  stage the records in and messages out per topic, the batch durations, the lag per
  partition, rebalances, stalls and the state restore.

Counts only: no pseudonym, no identifier, no record content.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from schemas.logging import get_logger, report_suppressed

__all__ = ["BATCH_BUCKETS", "Metrics", "StageState", "register_batch_log"]

log = get_logger("streams.batch")

BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (seconds) of the batch duration histogram's buckets."""


@dataclass(slots=True)
class StageState:
    """One stage's (batch loop's) counters and its view of its partitions."""

    records_in: Counter[str] = field(default_factory=Counter)
    """Records fetched and processed, per topic (full name)."""
    messages_out: Counter[str] = field(default_factory=Counter)
    """Messages sent and acknowledged by the broker, per topic (full name)."""
    batch_count: int = 0
    batch_seconds_sum: float = 0.0
    batch_buckets: list[int] = field(default_factory=lambda: [0] * len(BATCH_BUCKETS))
    """Batches per duration bucket (not cumulative; the exposition sums them)."""
    joined: bool = False
    """The stage's consumer has received an assignment (possibly empty) since it started."""
    assigned: int = 0
    """Partitions assigned now."""
    rebalances: int = 0
    """Assignments received (the first one included)."""
    restoring: int = 0
    """Assigned partitions whose state is not yet restored (the household stage)."""
    restore_remaining: int = 0
    """Changelog records still to read for the partition being restored."""
    restored: int = 0
    """Changelog entries applied by restores since start."""
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    """End offset minus position per (topic, partition), at the last reading."""
    lag_read_at: float | None = None
    """Monotonic time of the last successful reading of ``lag``."""
    stalled: dict[tuple[str, int], float] = field(default_factory=dict)
    """Partitions now stalled: seconds their position has not moved while they had lag."""
    stalls: Counter[str] = field(default_factory=Counter)
    """Stalls seen, per remedy (``resubscribe``, ``exit``)."""

    def batch(self, fetched: dict[Any, list[Any]], seconds: float) -> None:
        """Count one processed batch: its records per topic and how long it took."""
        records_in = self.records_in
        for tp, records in fetched.items():
            records_in[tp.topic] += len(records)
        self.batch_count += 1
        self.batch_seconds_sum += seconds
        for i, bound in enumerate(BATCH_BUCKETS):
            if seconds <= bound:
                self.batch_buckets[i] += 1
                break


class Metrics:
    """Per-outcome counters since start, and since the last batch line; gauges (a value now,
    e.g. ``quarantine.open``: parked records awaiting an operator); and per stage a
    :class:`StageState`."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self._batch: Counter[str] = Counter()
        self.gauges: dict[str, int] = {}
        self.stages: dict[str, StageState] = {}

    def gauge(self, name: str, value: int) -> None:
        """Set gauge ``name`` to ``value``."""
        self.gauges[name] = value

    def count(self, name: str, n: int = 1) -> None:
        """Count ``n`` of ``name`` (``<stage>.<outcome>``, e.g. ``household.no_consent``, or
        ``out.<record type>``)."""
        self.total[name] += n
        self._batch[name] += n

    def stage(self, name: str) -> StageState:
        """The state of stage ``name`` (``ingress``, ``household``), made on first use."""
        found = self.stages.get(name)
        if found is None:
            found = self.stages[name] = StageState()
        return found

    def flush(self) -> dict[str, int]:
        """The counts since the previous flush (and reset them)."""
        batch, self._batch = dict(self._batch), Counter()
        return batch


def register_batch_log(app: Any, metrics: Metrics, interval: float = 5.0) -> None:
    """Log one canonical ``hub batch`` line every ``interval`` seconds when work was done."""

    @app.timer(interval)
    async def batch_log() -> None:
        batch = metrics.flush()
        if batch:
            log.info("hub batch", interval_s=interval, **batch)
        report_suppressed()  # repeated warnings that went quiet: one line with their count
