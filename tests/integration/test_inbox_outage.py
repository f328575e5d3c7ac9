"""The inbox while the broker is down: it degrades instead of stalling, ``/healthz`` says so at
once, and a view or decision refused during the outage never reaches Kafka afterwards.

Stops and starts the session's broker (``deploy/local/kafka.sh stop|start``), so it runs only
against the local broker; against a cluster from ``KAFKA_BOOTSTRAP_SERVERS`` it skips (under
``CI=true`` it fails instead). The time bounds are generous on purpose: they prove "no 30 s
hang", not speed (``bench/inbox_outage.py`` measures that).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from schemas.catalogue import ensure_topics
from schemas.logging import configure_logging
from schemas.models import AuditAction, AuditEntry, CoordinatorDecision
from tests.support.inbox import make_proposal
from tests.support.inbox_kafka import api_call as call
from tests.support.inbox_kafka import inbox_process, local_broker, publish_records, read_records

pytestmark = pytest.mark.integration

BEFORE = make_proposal("outage-before")
DURING = make_proposal("outage-during")
AFTER = make_proposal("outage-after")
NO_HANG_S = 10.0


@pytest.fixture(autouse=True)
def _log_to_the_current_stderr():
    configure_logging(force=True)


@pytest.fixture
def broker(kafka_settings):
    found = local_broker(kafka_settings.bootstrap_servers)
    if found is None:
        reason = "stops the broker, so it needs the local one of deploy/local/kafka.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return found


def health(url):
    """(seconds, status code, body) of one ``/healthz``."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=60) as response:  # noqa: S310
            code, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        code, body = exc.code, json.loads(exc.read())
    return time.monotonic() - start, code, body


def timed(request):
    start = time.monotonic()
    status = request()[0]
    return status, time.monotonic() - start


def burst(url):
    """45 detail views, a decision, 20 list calls and 20 health checks, all at once."""
    view = f"/api/v1/proposals/{DURING.proposal_id}"
    requests = (
        [lambda: call(url, view)] * 45
        + [lambda: call(url, view + "/decision", body={"decision": "accepted"})]
        + [lambda: call(url, "/api/v1/proposals")] * 20
        + [lambda: health(url)[1:]] * 20
    )
    with ThreadPoolExecutor(len(requests)) as pool:
        results = list(pool.map(timed, requests))
    return results[:45], results[45], results[46:66], results[66:]


def until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} within {timeout} s")


def test_broker_outage_degrades_and_refused_views_stay_out_of_the_trail(
    broker, kafka_settings, kafka_env, tmp_path
):
    ensure_topics(kafka_settings)
    publish_records(kafka_settings, "proposals.v1", [BEFORE, DURING, AFTER])
    with inbox_process(kafka_env, tmp_path) as inbox:
        url = inbox.url
        assert call(url, f"/api/v1/proposals/{BEFORE.proposal_id}")[0] == 200
        broker.stop()
        try:
            bursts = [burst(url)]  # at once: the probe may not have noticed yet
            until(lambda: health(url)[2]["broker"] == "down", NO_HANG_S, "health saw no outage")
            seconds, code, body = health(url)
            assert (code, body) == (503, {"status": "degraded", "store": "ready", "broker": "down"})
            assert seconds < NO_HANG_S
            bursts.append(burst(url))  # and once the outage is known
        finally:
            broker.start()
        for views, decision, lists, checks in bursts:
            assert {status for status, _ in views} == {503}
            assert decision[0] == 503
            assert {status for status, _ in lists} == {200}
            assert {status for status, _ in checks} <= {200, 503}
            assert max(s for _, s in lists + checks) < NO_HANG_S
            assert max(s for _, s in views) < NO_HANG_S
        until(lambda: health(url)[1] == 200, 60, "the inbox was not ready again")
        marker = f"/api/v1/proposals/{AFTER.proposal_id}"
        until(lambda: call(url, marker)[0] == 200, 30, "no view succeeded after the outage")
        assert call(url, marker)[0] == 200
    trail = [e for e in read_records(kafka_settings, "audit.v1") if isinstance(e, AuditEntry)]
    seen = {(e.action, e.object_id) for e in trail}
    assert (AuditAction.VIEW, str(BEFORE.proposal_id)) in seen
    assert (AuditAction.VIEW, str(AFTER.proposal_id)) in seen
    assert [e for e in trail if e.object_id == str(DURING.proposal_id)] == []
    decisions = read_records(kafka_settings, "decisions.v1")
    assert [d for d in decisions if isinstance(d, CoordinatorDecision)] == []
