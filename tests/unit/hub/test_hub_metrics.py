"""The hub's Prometheus exposition and health verdict, from a Metrics object as the stages fill
it; parsed back with Prometheus' own text parser."""

from __future__ import annotations

from collections import namedtuple

from prometheus_client.parser import text_string_to_metric_families

from schemas.broker_probe import BrokerStatus
from streams.runtime.exposition import hub_registry, render
from streams.runtime.health import judge
from streams.runtime.metrics import Metrics

TP = namedtuple("TP", "topic partition")


def samples(
    metrics: Metrics, up: bool = True
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = render(hub_registry(metrics, lambda: up)).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def filled() -> Metrics:
    m = Metrics()
    m.count("ingress.signal", 40)
    m.count("ingress.deadletter", 2)
    m.count("ingress.parked", 1)
    m.count("household.kept", 30)
    m.count("out.JointActionProposal", 3)
    m.gauge("quarantine.open", 1)
    ingress = m.stage("ingress")
    ingress.batch({TP("p.ingest.wonen.v1", 0): [object()] * 42}, 0.004)
    ingress.batch({TP("p.ingest.wonen.v1", 1): [object()] * 3}, 0.2)
    ingress.messages_out.update({"p.household-events.v1": 40, "p.deadletter.v1": 2})
    ingress.joined, ingress.assigned, ingress.rebalances = True, 30, 2
    ingress.lag = {("p.ingest.wonen.v1", 0): 7}
    ingress.stalls["resubscribe"] += 1
    household = m.stage("household")
    household.joined, household.restoring, household.restored = True, 2, 500
    return m


def test_every_family_is_exposed_with_its_counts():
    got = samples(filled())
    assert got[("wijkhub_hub_events_total", (("outcome", "signal"), ("stage", "ingress")))] == 40
    assert got[("wijkhub_hub_events_total", (("outcome", "kept"), ("stage", "household")))] == 30
    assert got[("wijkhub_hub_outputs_total", (("type", "JointActionProposal"),))] == 3
    assert got[("wijkhub_hub_dead_letters_total", (("stage", "ingress"),))] == 2
    assert got[("wijkhub_hub_parked_records_total", ())] == 1
    assert got[("wijkhub_hub_quarantine_open", ())] == 1
    wonen = (("stage", "ingress"), ("topic", "p.ingest.wonen.v1"))
    assert got[("wijkhub_hub_records_in_total", wonen)] == 45
    out = (("stage", "ingress"), ("topic", "p.household-events.v1"))
    assert got[("wijkhub_hub_messages_out_total", out)] == 40
    lag = (("partition", "0"), ("stage", "ingress"), ("topic", "p.ingest.wonen.v1"))
    assert got[("wijkhub_hub_consumer_lag", lag)] == 7
    assert got[("wijkhub_hub_rebalances_total", (("stage", "ingress"),))] == 2
    assert got[("wijkhub_hub_assigned_partitions", (("stage", "ingress"),))] == 30
    resub = (("action", "resubscribe"), ("stage", "ingress"))
    assert got[("wijkhub_hub_stalls_total", resub)] == 1
    assert got[("wijkhub_hub_restore_partitions_pending", (("stage", "household"),))] == 2
    assert got[("wijkhub_hub_restored_records_total", (("stage", "household"),))] == 500
    assert got[("wijkhub_hub_broker_up", ())] == 1
    assert ("process_resident_memory_bytes", ()) in got


def test_the_batch_histogram_is_cumulative():
    got = samples(filled())
    bucket = lambda le: got[("wijkhub_hub_batch_duration_seconds_bucket",  # noqa: E731
                             (("le", le), ("stage", "ingress")))]  # fmt: skip
    assert bucket("0.001") == 0
    assert bucket("0.005") == 1
    assert bucket("0.1") == 1
    assert bucket("0.25") == 2
    assert bucket("+Inf") == 2
    assert got[("wijkhub_hub_batch_duration_seconds_count", (("stage", "ingress"),))] == 2
    total = got[("wijkhub_hub_batch_duration_seconds_sum", (("stage", "ingress"),))]
    assert abs(total - 0.204) < 1e-9


def test_health_and_readiness_tell_what_is_wrong_and_what_is_awaited():
    m = filled()
    up = BrokerStatus(up=True, since=0.0)
    verdict = judge(m, up, now=10.0)
    assert verdict.healthy
    assert not verdict.ready
    assert verdict.body["waiting"] == ["household: restoring the state of 2 partition(s)"]
    m.stage("household").restoring = 0
    assert judge(m, up, now=10.0).ready
    m.stage("ingress").stalled = {("p.ingest.wonen.v1", 0): 61.0}
    stalled = judge(m, up, now=10.0)
    assert not stalled.healthy
    assert not stalled.ready
    assert stalled.body["problems"] == ["ingress: p.ingest.wonen.v1/0 stalled for 61 s"]
    m.stage("ingress").stalled = {}
    down = judge(m, BrokerStatus(up=False, since=4.0, reason="KafkaConnectionError"), now=10.0)
    assert (down.healthy, down.ready, down.body["broker"]) == (False, False, "down")
    assert down.body["problems"] == ["broker: no answer for 6 s (KafkaConnectionError)"]


def test_a_stage_that_has_not_joined_is_not_ready():
    m = Metrics()
    m.stage("ingress").joined = True
    verdict = judge(m, BrokerStatus(up=True, since=0.0), now=1.0)
    assert verdict.healthy
    assert not verdict.ready
    assert verdict.body["waiting"] == ["household: not yet in its consumer group"]
