"""Recovery: a worker restart with many households in state, until it processes again.

The households' state is written straight into the table's changelog (the bytes the engine
itself produces for a household with consent and an open rent-arrears signal), so that a
million households need not be replayed first. Then:

1. *from the changelog alone*: a worker starts with an empty data dir, restores the table
   from the changelog, and processes a probe event (a school signal that makes one of those
   households' ``multi_domain`` rule fire); measured until the proposal is on its topic;
2. *from local RocksDB state*: that worker stops cleanly and starts again on its data dir;
   measured the same way with a second probe.

Baseline in the same run: a bare consumer reading the whole changelog (the lower bound of
any restore from Kafka). Target: under 60 s from local state.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from bench._hub import Hub
from bench._kafka import connection, create_topic, raw_consume_seconds
from bench._prepared import prepared
from bench._report import Result
from bench._workload import SOURCE, T0, events, hh_ref
from schemas.codec import decode, encode
from schemas.models import HouseholdEvent, SchoolAbsence, SignalStatus
from schemas.models.enums import AbsenceKind
from streams.rules import Household, apply_event, encode_state, load_rules

HOUSEHOLDS = 1_000_000
PARTITIONS = 12
PROBE_AT = T0 + timedelta(days=2)  # after the template household's signal


def _template_state() -> bytes:
    """State bytes of household 0 after its consent and first rent-arrears signal.

    A school signal for such a household makes ``multi_domain`` fire; without the restored
    state it would be dropped (no consent), so a proposal proves the state came back.
    """
    book = load_rules()
    state = None
    for _key, value, headers in events(2, 1):
        state = apply_event(state, decode(value, headers), book).state
    if not isinstance(state, Household) or not state.signals:
        raise RuntimeError("the template household has no active signal")
    return encode_state(state)


def _fill_changelog(bootstrap: str, topic: str, households: int, value: bytes) -> float:
    producer = KafkaProducer(
        **connection(bootstrap), acks="all", linger_ms=20, batch_size=512 * 1024
    )
    t0 = time.perf_counter()
    for i in range(households):
        producer.send(topic, key=hh_ref(i).encode(), value=value)
    producer.flush()
    producer.close()
    return time.perf_counter() - t0


def _probe(bootstrap: str, topic: str, household: int) -> None:
    event = HouseholdEvent(
        event_id=uuid.uuid4(),
        occurred_at=PROBE_AT,
        source="school",
        hh_ref=hh_ref(household),
        payload=SchoolAbsence(
            status=SignalStatus.OPENED,
            since=PROBE_AT.date(),
            kind=AbsenceKind.UNAUTHORISED_16H_4W,
            pupil_ref="p1",
        ),
    )
    value, headers = encode(event, source=SOURCE)
    producer = KafkaProducer(**connection(bootstrap), acks="all")
    producer.send(topic, key=event.hh_ref.encode(), value=value, headers=headers).get(30)
    producer.close()


def _wait_for_proposal(bootstrap: str, topic: str, household: int, timeout: float = 600) -> None:
    want = hh_ref(household).encode()
    consumer = KafkaConsumer(
        **connection(bootstrap), auto_offset_reset="earliest", consumer_timeout_ms=500
    )
    parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    consumer.assign(parts)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for message in consumer:
                if message.key == want:
                    return
        raise TimeoutError(f"no proposal for probe household {household} within {timeout} s")
    finally:
        consumer.close()


def run(*, bootstrap: str, scale: float) -> list[Result]:
    households = max(100, int(HOUSEHOLDS * scale))
    prep = prepared(bootstrap, 0, 1)  # topics and keys only
    app_id = f"{prep.settings.topic_prefix}-recovery-{uuid.uuid4().hex[:4]}"
    changelog = f"{app_id}.households-changelog"
    create_topic(bootstrap, changelog, PARTITIONS, compact=True)
    template = _template_state()
    fill_s = _fill_changelog(bootstrap, changelog, households, template)
    print(
        f"   {households:,} households x {len(template)} B written to the changelog in "
        f"{fill_s:.0f} s",
        flush=True,
    )
    raw_s = raw_consume_seconds(bootstrap, changelog, households, do_decode=False)

    hub = Hub(bootstrap, prep.settings.topic_prefix, app_id, prep.workdir / app_id, prep.keys_dir)
    hub.workdir.mkdir(parents=True)
    source, proposals = prep.topic, prep.settings.topic("proposals.v1")
    timings: dict[str, float] = {}
    for label, probe in (("changelog", 1), ("local", 2)):
        t0 = time.monotonic()
        hub.start()
        _probe(bootstrap, source, probe)
        _wait_for_proposal(bootstrap, proposals, probe)
        timings[label] = time.monotonic() - t0
        hub.stop()
        print(f"   restart from {label}: processing again after {timings[label]:.1f} s", flush=True)
    return [
        Result(
            "recovery",
            "restart from local RocksDB state",
            timings["local"],
            "s",
            raw_s,
            "bare read of the changelog",
            "< 60 s",
            timings["local"] < 60,
            {"households": households, "state_bytes_each": len(template)},
        ),
        Result(
            "recovery",
            "restart from the changelog alone",
            timings["changelog"],
            "s",
            raw_s,
            "bare read of the changelog",
            details={"households": households},
        ),
    ]
