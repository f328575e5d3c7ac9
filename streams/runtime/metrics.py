"""Counters of what the hub's agents did, and the canonical log line per batch.

Every few seconds (when anything happened) one line ``hub batch`` gives the counts since the
previous line, per agent and outcome. Counts only: no pseudonym, no identifier.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from schemas.logging import get_logger, report_suppressed

__all__ = ["Metrics", "register_batch_log"]

log = get_logger("streams.batch")


class Metrics:
    """Per-outcome counters since start, and since the last batch line; and gauges (a value
    now, e.g. ``quarantine.open``: parked records awaiting an operator)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self._batch: Counter[str] = Counter()
        self.gauges: dict[str, int] = {}

    def gauge(self, name: str, value: int) -> None:
        """Set gauge ``name`` to ``value``."""
        self.gauges[name] = value

    def count(self, name: str, n: int = 1) -> None:
        """Count ``n`` of ``name`` (e.g. ``household.no_consent``)."""
        self.total[name] += n
        self._batch[name] += n

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
