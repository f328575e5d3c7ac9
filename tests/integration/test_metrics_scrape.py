"""A Prometheus scrape of a running worker and of a running inbox, on the real broker.

Each test scrapes ``/metrics`` before and after real work (households published to the ingest
topics and processed by ``wijkhub worker``; proposals read, viewed and decided in ``wijkhub
inbox serve``) and checks with Prometheus' own parser that the metric families exist and that
the counters moved by what was done. The scrapes are printed (``pytest -s``) for docs.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nacl.public import PublicKey
from prometheus_client.parser import text_string_to_metric_families

from schemas.catalogue import ensure_topics
from schemas.logging import configure_logging
from schemas.models import Priority
from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys, load_keys
from streams.runtime.lag import wait_caught_up
from tests.support import poison
from tests.support.inbox import make_proposal
from tests.support.inbox_kafka import api_call, inbox_process, publish_records

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
HOUSEHOLDS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(url: str) -> tuple[str, Samples]:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, samples


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def sample_of(text: str, wanted: Callable[[str], bool]) -> str:
    return "\n".join(line for line in text.splitlines() if wanted(line))


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over the series of ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def worker(kafka_env: dict[str, str], kafka_settings: KafkaSettings, tmp_path: Path) -> Iterator[
    tuple[str, KafkaSettings, str, Path]
]:  # fmt: skip
    """A running ``wijkhub worker`` with its web port; (base URL, settings, app id, keys)."""
    ensure_topics(kafka_settings)
    keys = tmp_path / "keys"
    init_keys(keys)
    port = _free_port()
    env = {**kafka_env, "WIJKHUB_HUB_WEB_PORT": str(port), "WIJKHUB_HUB_KEYS_DIR": str(keys),
           "WIJKHUB_HUB_COMMIT_INTERVAL": "0.2", "WIJKHUB_HUB_LAG_INTERVAL": "0.5"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "schemas.cli", "worker"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if get(f"{url}/readyz")[0] == 200:
                    break
            except OSError:
                pass  # not listening yet
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        yield url, kafka_settings, env["WIJKHUB_HUB_APP_ID"], keys
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def test_a_worker_scrape_has_every_family_and_counts_what_it_processed(
    worker: tuple[str, KafkaSettings, str, Path],
) -> None:
    url, settings, app_id, keys = worker
    _, before = scrape(url)
    import kafka

    public = PublicKey(bytes(load_keys(keys).private_key.public_key))
    producer = kafka.KafkaProducer(**settings.kafka_python_config(), acks="all")

    def send(topic: str, encoded: poison.Encoded, n: int) -> None:
        producer.send(settings.topic(topic), value=encoded[0], key=f"hh-{n}".encode(),
                      headers=encoded[1])  # fmt: skip

    for n in range(1, HOUSEHOLDS + 1):
        send("ingest.consent.v1", poison.consent(public, n), n)
    producer.flush()
    wait_caught_up(settings, app_id, timeout=120)
    for n in range(1, HOUSEHOLDS + 1):
        send("ingest.wonen.v1", poison.arrears(public, n), n)
        send("ingest.werk.v1", poison.work(public, n), n)
    send("ingest.wonen.v1", poison.random_bytes(7), 999)  # one unreadable signal
    producer.flush()
    producer.close()
    wait_caught_up(settings, app_id, timeout=120)
    time.sleep(1.2)  # one more lag reading after the commit
    text, after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    ingest = settings.topic("ingest.wonen.v1")
    assert moved("wijkhub_hub_events_total", stage="ingress", outcome="consent") == HOUSEHOLDS
    assert moved("wijkhub_hub_events_total", stage="ingress", outcome="signal") == 2 * HOUSEHOLDS
    assert moved("wijkhub_hub_dead_letters_total", stage="ingress") == 1
    assert moved("wijkhub_hub_records_in_total", stage="ingress", topic=ingest) == HOUSEHOLDS + 1
    events = settings.topic("household-events.v1")
    assert moved("wijkhub_hub_messages_out_total", stage="ingress", topic=events) == 3 * HOUSEHOLDS
    assert moved("wijkhub_hub_records_in_total", stage="household", topic=events) == 3 * HOUSEHOLDS
    assert moved("wijkhub_hub_outputs_total", type="JointActionProposal") == HOUSEHOLDS
    assert moved("wijkhub_hub_batch_duration_seconds_count", stage="household") >= 2
    assert moved("wijkhub_hub_batch_duration_seconds_sum", stage="household") > 0
    # lag per partition: every household partition has a series, and all are 0 now
    lag = {ls: v for (n, ls), v in after.items() if n == "wijkhub_hub_consumer_lag"
           and ("topic", events) in ls}  # fmt: skip
    assert len(lag) == 12
    assert set(lag.values()) == {0}
    for name in ("wijkhub_hub_rebalances_total", "wijkhub_hub_assigned_partitions"):
        assert total(after, name, stage="household") >= 1
    for name in ("wijkhub_hub_stalls_total", "wijkhub_hub_stalled_partitions",
                 "wijkhub_hub_restore_partitions_pending", "wijkhub_hub_restored_records_total",
                 "wijkhub_hub_quarantine_open", "wijkhub_hub_parked_records_total",
                 "wijkhub_hub_consumer_lag_age_seconds"):  # fmt: skip
        assert any(n == name for n, _ in after), name
    assert total(after, "wijkhub_hub_broker_up") == 1
    status, body = get(f"{url}/healthz")
    assert (status, body["status"]) == (200, "ready")
    print("\n--- worker scrape (sample) ---\n" + sample_of(
        text, lambda line: line.startswith("wijkhub_hub_")
        and "_bucket" not in line and ('partition="' not in line or 'partition="0"' in line)
    ))  # fmt: skip


def test_an_inbox_scrape_counts_requests_by_route_and_audit_writes(
    kafka_settings: KafkaSettings, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    configure_logging(force=True)
    ensure_topics(kafka_settings)
    proposals = [make_proposal(f"scrape-{n}", priority=Priority.HIGH) for n in range(3)]
    publish_records(kafka_settings, "proposals.v1", proposals)
    with inbox_process(kafka_env, tmp_path) as inbox:
        _, before = scrape(inbox.url)
        status, listed, _ = api_call(inbox.url, "/api/v1/proposals")
        assert status == 200
        assert len(listed) == 3
        for p in proposals[:2]:
            assert api_call(inbox.url, f"/api/v1/proposals/{p.proposal_id}")[0] == 200
        decided = api_call(inbox.url, f"/api/v1/proposals/{proposals[0].proposal_id}/decision",
                           body={"decision": "accepted"})  # fmt: skip
        assert decided[0] == 201
        assert api_call(inbox.url, "/api/v1/proposals", password="wrong")[0] == 401
        text, after = scrape(inbox.url)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    one = "/api/v1/proposals/{proposal_id}"
    requests = "wijkhub_inbox_requests_total"
    assert moved(requests, route="/api/v1/proposals", method="GET", status="200") == 1
    assert moved(requests, route=one, method="GET", status="200") == 2
    assert moved(requests, route=one + "/decision", method="POST", status="201") == 1
    assert moved(requests, route="/api/v1/proposals", method="GET", status="401") == 1
    assert moved("wijkhub_inbox_audit_writes_total", action="view", outcome="written") == 2
    assert moved("wijkhub_inbox_audit_writes_total", action="decide", outcome="written") == 1
    assert moved("wijkhub_inbox_request_duration_seconds_count", route=one) == 2
    assert total(after, "wijkhub_inbox_broker_up") == 1
    assert total(after, "wijkhub_inbox_store_ready") == 1
    assert not [k for k in after if str(proposals[0].proposal_id) in str(k)]
    print("\n--- inbox scrape (sample) ---\n" + sample_of(
        text, lambda line: line.startswith("wijkhub_inbox_") and "_bucket" not in line
    ))  # fmt: skip
