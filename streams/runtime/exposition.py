"""The hub's :class:`~streams.runtime.metrics.Metrics` in Prometheus' text format.

A collector reads the counters at scrape time, so the stages pay nothing for Prometheus on
their hot path (they only add to plain counters, per batch). Every metric name and what an
alert on it means is listed in docs/operations.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from streams.runtime.metrics import BATCH_BUCKETS, Metrics, StageState

__all__ = ["CONTENT_TYPE", "HubCollector", "hub_registry", "render"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
_P = "wijkhub_hub_"
_STAGES = ("ingress", "household")


def _counter(name: str, doc: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(_P + name, doc, labels=labels)


def _gauge(name: str, doc: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(_P + name, doc, labels=labels or [])


class HubCollector(Collector):
    """Reads ``metrics`` (and the broker probe's verdict) at every scrape."""

    def __init__(self, metrics: Metrics, broker_up: Callable[[], bool] | None = None) -> None:
        self.metrics = metrics
        self.broker_up = broker_up

    def collect(self) -> Iterable[Metric]:
        yield from self._outcomes()
        yield from self._stages()
        gauges = self.metrics.gauges
        waiting = _gauge("quarantine_open", "Parked records awaiting an operator.")
        waiting.add_metric([], gauges.get("quarantine.open", 0))
        holds = _gauge("quarantine_holds", "Households or keys held behind a parked record.")
        holds.add_metric([], gauges.get("quarantine.holds", 0))
        yield from (waiting, holds)
        if self.broker_up is not None:
            up = _gauge("broker_up", "1 when the broker answered the worker's last probe.")
            up.add_metric([], 1.0 if self.broker_up() else 0.0)
            yield up

    def _outcomes(self) -> Iterator[Metric]:
        total = dict(self.metrics.total)
        events = _counter(
            "events",
            "Events processed per stage and outcome (counted per batch).",
            ["stage", "outcome"],
        )
        outputs = _counter("outputs", "Records the household stage emitted, per type.", ["type"])
        dead = _counter("dead_letters", "Messages sent to deadletter.v1, per stage.", ["stage"])
        for stage in _STAGES:
            dead.add_metric([stage], total.get(f"{stage}.deadletter", 0))
        parked = _counter("parked_records", "Consent records parked on quarantine.v1.", [])
        parked.add_metric([], total.get("ingress.parked", 0) + total.get("ingress.reparked", 0))
        for name, n in sorted(total.items()):
            prefix, _, rest = name.partition(".")
            if prefix == "out":
                outputs.add_metric([rest], n)
            elif prefix in _STAGES:
                events.add_metric([prefix, rest], n)
        yield from (events, outputs, dead, parked)

    def _stages(self) -> Iterator[Metric]:
        stages = sorted(self.metrics.stages.items())
        records_in = _counter(
            "records_in", "Records consumed per stage and topic.", ["stage", "topic"]
        )
        out = _counter(
            "messages_out",
            "Messages acknowledged by the broker, per stage and topic.",
            ["stage", "topic"],
        )
        batches = HistogramMetricFamily(
            _P + "batch_duration_seconds", "Time to process one fetched batch.", labels=["stage"]
        )
        lag = _gauge(
            "consumer_lag",
            "End offset minus the stage's position, per partition.",
            ["stage", "topic", "partition"],
        )
        lag_age = _gauge(
            "consumer_lag_age_seconds", "Seconds since the lag was last read.", ["stage"]
        )
        stalled = _gauge(
            "stalled_partitions",
            "Partitions with lag whose position has not moved for WIJKHUB_HUB_STALL_SECONDS.",
            ["stage"],
        )
        stalls = _counter(
            "stalls", "Stalled partitions the watchdog acted on, per remedy.", ["stage", "action"]
        )
        assigned = _gauge("assigned_partitions", "Partitions assigned to the stage now.", ["stage"])
        rebalances = _counter("rebalances", "Assignments the stage received.", ["stage"])
        restoring = _gauge(
            "restore_partitions_pending",
            "Assigned partitions whose state is not yet restored.",
            ["stage"],
        )
        remaining = _gauge(
            "restore_records_remaining",
            "Changelog records left to read for the partition being restored.",
            ["stage"],
        )
        restored = _counter("restored_records", "Changelog entries applied by restores.", ["stage"])
        for name, s in stages:
            for topic, n in sorted(s.records_in.items()):
                records_in.add_metric([name, topic], n)
            for topic, n in sorted(s.messages_out.items()):
                out.add_metric([name, topic], n)
            batches.add_metric([name], _buckets(s), s.batch_seconds_sum)
            for (topic, partition), n in sorted(s.lag.items()):
                lag.add_metric([name, topic, str(partition)], n)
            if s.lag_read_at is not None:
                lag_age.add_metric([name], _since(s.lag_read_at))
            stalled.add_metric([name], len(s.stalled))
            for action in ("resubscribe", "exit"):
                stalls.add_metric([name, action], s.stalls.get(action, 0))
            assigned.add_metric([name], s.assigned)
            rebalances.add_metric([name], s.rebalances)
            restoring.add_metric([name], s.restoring)
            remaining.add_metric([name], s.restore_remaining)
            restored.add_metric([name], s.restored)
        yield from (
            records_in,
            out,
            batches,
            lag,
            lag_age,
            stalled,
            stalls,
            assigned,
            rebalances,
            restoring,
            remaining,
            restored,
        )


def _buckets(s: StageState) -> list[tuple[str, float]]:
    out, running = [], 0
    for bound, n in zip(BATCH_BUCKETS, s.batch_buckets, strict=True):
        running += n
        out.append((repr(bound), float(running)))
    out.append(("+Inf", float(s.batch_count)))
    return out


def _since(at: float) -> float:
    return max(0.0, time.monotonic() - at)


def hub_registry(
    metrics: Metrics, broker_up: Callable[[], bool] | None = None
) -> CollectorRegistry:
    """A registry with the hub's metrics and the process's (CPU, memory, open files)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(metrics, broker_up))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format (``CONTENT_TYPE``)."""
    return generate_latest(registry)
