"""The worker's health, readiness and metrics, served by Faust's web server.

On ``WIJKHUB_HUB_WEB_PORT`` (127.0.0.1), next to Faust's own pages:

``/livez``
    200 while the worker's event loop answers (a liveness probe: a broker outage must not
    get the worker restarted).
``/healthz``
    200 when nothing is wrong now: the broker answers (a probe every second, down after 3 s
    without an answer) and no partition of a stage is stalled; else 503. The JSON body says
    what was checked.
``/readyz``
    200 when healthy and doing its work: both stages have joined their consumer groups (an
    assignment, possibly empty: a spare worker is ready) and no state is being restored;
    else 503.
``/metrics``
    Prometheus' text format (:mod:`streams.runtime.exposition`).

Why Faust's web server and not prometheus-client's own: it is already there (one port), and
it answers from the event loop the stages run on, so a worker whose loop is stuck does not
answer ``/livez`` at all, where a server thread would say "alive". Every answer is made from
what the worker already knows; none waits for Kafka.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mode import Service

from schemas.broker_probe import BrokerProbe, BrokerStatus
from schemas.settings import KafkaSettings
from streams.runtime.exposition import CONTENT_TYPE, hub_registry, render
from streams.runtime.metrics import Metrics

__all__ = ["STAGES", "Verdict", "judge", "register_web"]

STAGES = ("ingress", "household")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What ``/healthz`` and ``/readyz`` answer."""

    healthy: bool
    ready: bool
    body: dict[str, Any] = field(default_factory=dict)


def judge(metrics: Metrics, broker: BrokerStatus, now: float | None = None) -> Verdict:
    """Health and readiness from the stages' state and the broker probe's verdict."""
    now = time.monotonic() if now is None else now
    problems: list[str] = []
    waiting: list[str] = []
    if not broker.up:
        problems.append(f"broker: no answer for {now - broker.since:.0f} s ({broker.reason})")
    stages: dict[str, Any] = {}
    for name in STAGES:
        s = metrics.stages.get(name)
        if s is None or not s.joined:
            waiting.append(f"{name}: not yet in its consumer group")
            stages[name] = {"joined": False}
            continue
        if s.restoring:
            waiting.append(f"{name}: restoring the state of {s.restoring} partition(s)")
        for (topic, partition), seconds in sorted(s.stalled.items()):
            problems.append(f"{name}: {topic}/{partition} stalled for {seconds:.0f} s")
        stages[name] = {
            "joined": True,
            "partitions": s.assigned,
            "restoring": s.restoring,
            "stalled": len(s.stalled),
            "lag": sum(s.lag.values()),
            "lag_age_s": None if s.lag_read_at is None else round(now - s.lag_read_at, 1),
        }
    healthy = not problems
    ready = healthy and not waiting
    status = "ready" if ready else "not-ready" if healthy else "unhealthy"
    body = {
        "status": status,
        "broker": "up" if broker.up else "down",
        "problems": problems,
        "waiting": waiting,
        "stages": stages,
    }
    return Verdict(healthy, ready, body)


class _ProbeService(Service):
    """Runs the broker probe's thread with the worker."""

    def __init__(self, probe: BrokerProbe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe

    async def on_start(self) -> None:
        self.probe.start()

    async def on_stop(self) -> None:
        self.probe.stop(timeout=1.0)


def register_web(app: Any, kafka: KafkaSettings, metrics: Metrics) -> BrokerProbe:
    """Add the broker probe and the four pages to the Faust ``app``; returns the probe."""
    probe = BrokerProbe(kafka, client_id="wijkhub-hub-probe")

    class Probe(_ProbeService):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(probe, **kwargs)

    app.service(Probe)
    registry = hub_registry(metrics, probe.up)

    def answer(view: Any, verdict: Verdict, ok: bool) -> Any:
        return view.json(verdict.body, status=200 if ok else 503)

    @app.page("/livez")
    async def livez(view: Any, _request: Any) -> Any:
        return view.json({"status": "alive"})

    @app.page("/healthz")
    async def healthz(view: Any, _request: Any) -> Any:
        verdict = judge(metrics, probe.status())
        return answer(view, verdict, verdict.healthy)

    @app.page("/readyz")
    async def readyz(view: Any, _request: Any) -> Any:
        verdict = judge(metrics, probe.status())
        return answer(view, verdict, verdict.ready)

    @app.page("/metrics")
    async def prometheus(view: Any, _request: Any) -> Any:
        return view.bytes(render(registry), headers={"Content-Type": CONTENT_TYPE})

    return probe
