"""The inbox's ``/metrics``: requests by route template and status, audit writes by action and
outcome, and the broker and store gauges, read back with Prometheus' own text parser."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.test_inbox_web import MINE, Harness, csrf_of, login


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def requests(got, route: str, method: str, status: str) -> float:
    key = (
        "wijkhub_inbox_requests_total",
        (("method", method), ("route", route), ("status", status)),
    )
    return got.get(key, 0.0)


def audits(got, action: str, outcome: str) -> float:
    key = ("wijkhub_inbox_audit_writes_total", (("action", action), ("outcome", outcome)))
    return got.get(key, 0.0)


def test_requests_are_counted_by_route_template_and_status(tmp_path):
    h = Harness(tmp_path)
    client = TestClient(h.app, base_url="http://127.0.0.1")
    login(client)
    assert client.get(f"/voorstellen/{MINE.proposal_id}").status_code == 200
    assert client.get(f"/voorstellen/{MINE.proposal_id}").status_code == 200
    assert client.get("/nergens").status_code == 404
    got = scrape(client)
    assert requests(got, "/voorstellen/{proposal_id}", "GET", "200") == 2
    assert requests(got, "/login", "POST", "303") == 1
    assert requests(got, "unmatched", "GET", "404") == 1
    assert not [k for k in got if str(MINE.proposal_id) in str(k)], "no id in any label"
    duration = ("wijkhub_inbox_request_duration_seconds_count",
                (("route", "/voorstellen/{proposal_id}"),))  # fmt: skip
    assert got[duration] == 2
    h.store.close()


def test_audit_writes_are_counted_and_a_missing_trail_too(tmp_path):
    h = Harness(tmp_path)
    client = TestClient(h.app, base_url="http://127.0.0.1")
    login(client)
    client.get(f"/voorstellen/{MINE.proposal_id}")
    token = csrf_of(client.get("/").text)
    form = {"decision": "accepted", "csrf_token": token}
    assert client.post(f"/voorstellen/{MINE.proposal_id}/besluit", data=form).status_code == 200
    h.publisher.fail_topics.add("audit.v1")
    assert client.get(f"/voorstellen/{MINE.proposal_id}").status_code == 503
    got = scrape(client)
    assert audits(got, "view", "written") == len([e for e in h.audit() if e.action.value == "view"])
    assert audits(got, "view", "written") >= 1
    assert audits(got, "decide", "written") == 1
    assert audits(got, "view", "failed") == 1
    h.store.close()


def test_broker_and_store_gauges_follow_their_probes(tmp_path):
    h = Harness(tmp_path)
    client = TestClient(h.app, base_url="http://127.0.0.1")
    assert scrape(client)[("wijkhub_inbox_broker_up", ())] == 1
    h.broker_is_up = False
    got = scrape(client)
    assert got[("wijkhub_inbox_broker_up", ())] == 0
    assert got[("wijkhub_inbox_store_ready", ())] == 1
    h.store.close()
