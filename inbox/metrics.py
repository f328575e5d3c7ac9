"""The inbox's Prometheus metrics: requests by route and status, audit writes, dependencies.

One registry per app (:class:`InboxMetrics`), so tests can build many apps in one process.
Labels are route templates (``/voorstellen/{proposal_id}``), never a path with an id in it,
and never anything about a coordinator or a household. Served at ``/metrics``; the names and
what an alert on each means are in docs/operations.md.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["CONTENT_TYPE", "InboxMetrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class InboxMetrics:
    """The inbox's metrics in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "wijkhub_inbox_requests", "HTTP requests answered, by route template, method and "
            "status.", ["route", "method", "status"], registry=r,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "wijkhub_inbox_request_duration_seconds", "Time to answer a request, by route.",
            ["route"], buckets=_BUCKETS, registry=r,
        )  # fmt: skip
        self.audit_writes = Counter(
            "wijkhub_inbox_audit_writes", "Audit entries written to audit.v1 (outcome written) "
            "or refused because the trail was unavailable (outcome failed), by action.",
            ["action", "outcome"], registry=r,
        )  # fmt: skip
        self._broker_up = Gauge("wijkhub_inbox_broker_up", "1 when Kafka answers the probe.",
                                registry=r)  # fmt: skip
        self._store_ready = Gauge("wijkhub_inbox_store_ready", "1 when the view store has "
                                  "caught up and its projector runs.", registry=r)  # fmt: skip
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)

    def watch(self, *, broker_up: Callable[[], bool], store_ready: Callable[[], bool]) -> None:
        """Read the broker probe's and the store's verdict at every scrape."""
        self._broker_up.set_function(lambda: 1.0 if broker_up() else 0.0)
        self._store_ready.set_function(lambda: 1.0 if store_ready() else 0.0)

    def audited(self, action: str, *, written: bool) -> None:
        """Count one audit write (or one refused for want of the trail)."""
        self.audit_writes.labels(action, "written" if written else "failed").inc()

    def render(self) -> bytes:
        """Everything in Prometheus' text format (``CONTENT_TYPE``)."""
        return generate_latest(self.registry)
