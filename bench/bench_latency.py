"""Live latency: at a steady 1,000 events/s from the partner side, publish -> proposal.

Each synthetic household sends its consent, a rent-arrears signal one second later and a
school-absence signal two seconds later, sealed and encoded exactly as a connector does, to
the three ingest topics; the school signal makes ``multi_domain`` fire. Latency is from
sending that signal to the proposal arriving on ``proposals.v1`` (through ingress, the
household topic and the household agent). Baseline in the same run: the broker's own
one-hop round trip (produce, then a consumer reads it) at the same rate.
Target: p99 under 500 ms.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench._hub import Hub
from bench._prepared import prepared
from bench._report import Result
from connectors.sealing import Sealer
from schemas.codec import encode
from schemas.identity import canonical_id
from schemas.models import (
    AbsenceKind,
    ArrearsBand,
    CollectionMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    ContractModel,
    Domain,
    RentArrearsSignal,
    SchoolAbsenceSignal,
    SignalStatus,
)
from schemas.models.enums import ActorRole
from streams.ingress.keys import PseudonymKey, hh_ref, load_keys

RATE = int(os.environ.get("BENCH_LATENCY_RATE", "1000"))  # events/s over the 3 ingest topics
SECONDS = 30
SOURCE = "urn:nld:kvknr:00000000.wijkhub-bench"
Topic = Callable[[str], str]


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


class _Arrivals(threading.Thread):
    """Notes when each household's first proposal arrives."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.seen: dict[bytes, float] = {}
        self.stop = threading.Event()
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=10)
        parts = [TopicPartition(topic, p) for p in self._consumer.partitions_for_topic(topic)]
        self._consumer.assign(parts)
        self._consumer.seek_to_end(*parts)
        for tp in parts:
            self._consumer.position(tp)

    def run(self) -> None:
        while not self.stop.is_set():
            for records in self._consumer.poll(timeout_ms=50).values():
                now = time.time()
                for r in records:
                    self.seen.setdefault(r.key, now)
        self._consumer.close()


def _events(i: int, sealer: Sealer, ident: bytes, today: date) -> list[tuple[str, ContractModel]]:
    common = {"occurred_at": datetime.now(UTC), "buurt_code": "BU03630001"}
    consent = ConsentRecord(
        event_id=uuid.uuid4(), source="gemeente", sealed_subject=sealer.seal(ident),
        status=ConsentStatus.GIVEN, purposes=tuple(ConsentPurpose), domains=tuple(Domain),
        valid_from=today, notice_version="2026-01", collection_method=CollectionMethod.WRITTEN,
        recorded_by=ActorRole.INTAKE_OFFICER, intake_ref=f"INT-L{i:06d}", **common,
    )  # fmt: skip
    wonen = RentArrearsSignal(
        event_id=uuid.uuid4(), source="corporatie", sealed_subject=sealer.seal(ident),
        status=SignalStatus.OPENED, since=today, arrears_band=ArrearsBand.TWO_MONTHS,
        eviction_risk=False, **common,
    )  # fmt: skip
    school = SchoolAbsenceSignal(
        event_id=uuid.uuid4(), source="school", sealed_subject=sealer.seal(ident),
        status=SignalStatus.OPENED, since=today, kind=AbsenceKind.UNAUTHORISED_16H_4W,
        pupil_ref="p1", **common,
    )  # fmt: skip
    return [("ingest.consent.v1", consent), ("ingest.wonen.v1", wonen),
            ("ingest.school.v1", school)]  # fmt: skip


def _raw_round_trip(bootstrap: str, topic: str, seconds: float) -> list[float]:
    """One-hop latencies (ms) of the broker at ``RATE`` messages/s."""
    arrivals = _Arrivals(bootstrap, topic)
    arrivals.start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    sent: dict[bytes, float] = {}
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < seconds:
        due = int((time.monotonic() - t0) * RATE)
        while n < due:
            key = f"k{n}".encode()
            sent[key] = time.time()
            producer.send(topic, key=key, value=b"x" * 200)
            n += 1
        time.sleep(0.002)
    producer.flush()
    time.sleep(1)
    arrivals.stop.set()
    arrivals.join()
    producer.close()
    return [(arrivals.seen[k] - t) * 1000 for k, t in sent.items() if k in arrivals.seen]


def run(*, bootstrap: str, scale: float) -> list[Result]:
    seconds = max(10.0, SECONDS * min(scale, 1.0))
    prep = prepared(bootstrap, 0, 1)
    keys = load_keys(prep.keys_dir)
    sealer = Sealer.from_file(prep.keys_dir / "hub.pub")
    topic = prep.settings.topic
    raw = _raw_round_trip(bootstrap, topic("deadletter.v1"), min(seconds, 10.0))

    app_id = f"{prep.settings.topic_prefix}-latency-{uuid.uuid4().hex[:4]}"
    hub = Hub(bootstrap, prep.settings.topic_prefix, app_id, prep.workdir / app_id, prep.keys_dir)
    hub.workdir.mkdir(parents=True)
    hub.start()
    arrivals = _Arrivals(bootstrap, topic("proposals.v1"))
    arrivals.start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
    try:
        # warm up: until a first household's proposal comes through, the hub is not ready
        _warm_up(producer, sealer, keys.pseudonym, topic, arrivals)
        sent = _steady_load(producer, sealer, keys.pseudonym, topic, seconds)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not set(sent) <= set(arrivals.seen):
            time.sleep(0.2)
    finally:
        arrivals.stop.set()
        arrivals.join()
        producer.close()
        hub.stop()
    lat = [(arrivals.seen[k] - t) * 1000 for k, t in sent.items() if k in arrivals.seen]
    missing = len(sent) - len(lat)
    if len(lat) < 10:
        raise RuntimeError(f"only {len(lat)} of {len(sent)} proposals arrived; see {hub.workdir}")
    p = {q: _percentile(lat, q) for q in (50, 95, 99)}
    raw_p = {q: _percentile(raw, q) for q in (50, 95, 99)}
    details = {"households": len(sent), "missing": missing, "seconds": seconds, "rate": RATE}
    return [
        Result("latency", "publish -> proposal p50", p[50], "ms", raw_p[50], "broker one hop p50",
               details=details),
        Result("latency", "publish -> proposal p95", p[95], "ms", raw_p[95], "broker one hop p95"),
        Result("latency", "publish -> proposal p99", p[99], "ms", raw_p[99], "broker one hop p99",
               "< 500 ms", p[99] < 500 and missing == 0),
    ]  # fmt: skip


def _send_household(
    producer: KafkaProducer, sealer: Sealer, pseudonym: PseudonymKey, topic: Topic, *, i: int,
    stage: int,
) -> tuple[bytes, float] | None:  # fmt: skip
    ident = canonical_id(f"{1000 + i % 9000}AB", str(1 + i // 9000), "")
    name, record = _events(i, sealer, ident, date.today())[stage]
    value, headers = encode(record, source=SOURCE)
    sent_at = time.time()
    producer.send(topic(name), key=f"s{i}".encode(), value=value, headers=headers)
    if stage == 2:
        return hh_ref(pseudonym, ident).encode(), sent_at
    return None


def _warm_up(
    producer: KafkaProducer, sealer: Sealer, pseudonym: PseudonymKey, topic: Topic,
    arrivals: _Arrivals,
) -> None:  # fmt: skip
    """Send warm-up households until one's proposal comes through (a worker that is still
    joining may read an early household's signal before its consent and drop it)."""
    deadline = time.monotonic() + 120
    for n in range(10_000_000, 10_000_100):
        got = None
        for stage in range(3):
            got = _send_household(producer, sealer, pseudonym, topic, i=n, stage=stage) or got
            producer.flush()
            time.sleep(1.0)
        until = time.monotonic() + 5
        while got and got[0] not in arrivals.seen and time.monotonic() < until:
            time.sleep(0.2)
        if got and got[0] in arrivals.seen:
            return
        if time.monotonic() > deadline:
            break
    raise TimeoutError("the hub did not answer a warm-up household within 120 s")


def _steady_load(
    producer: KafkaProducer, sealer: Sealer, pseudonym: PseudonymKey, topic: Topic,
    seconds: float,
) -> dict[bytes, float]:  # fmt: skip
    """Send 3 events per household at ``RATE`` events/s: consent, +1 s wonen, +2 s school."""
    per_second = RATE / 3
    sent: dict[bytes, float] = {}
    t0 = time.monotonic()
    households = int(seconds * per_second)
    schedule = sorted((i / per_second + stage, i, stage) for i in range(households)
                      for stage in range(3))  # fmt: skip
    for at, i, stage in schedule:
        delay = at - (time.monotonic() - t0)
        if delay > 0:
            time.sleep(delay)
        got = _send_household(producer, sealer, pseudonym, topic, i=i, stage=stage)
        if got:
            sent[got[0]] = got[1]
    producer.flush()
    return sent
