"""The JSON API and its OpenAPI document, on the real app (TestClient)."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from schemas.models import AuditAction, Decision, Priority
from tests.support.inbox import InboxHarness, make_proposal

MINE = make_proposal("mine", priority=Priority.HIGH, respond_by=date(2026, 11, 10))
MINE_LATER = make_proposal("mine-later", priority=Priority.HIGH, respond_by=date(2026, 12, 10))
OTHER = make_proposal("other", buurt_code="BU03630002", priority=Priority.URGENT)
ACCOUNTS = {
    "coord-noord": ("pw-noord", ["BU03630001"]),
    "coord-zuid": ("pw-zuid", ["BU03630002"]),
}
NOORD = ("coord-noord", "pw-noord")
ZUID = ("coord-zuid", "pw-zuid")


class Harness(InboxHarness):
    def __init__(self, tmp_path):
        super().__init__(tmp_path, ACCOUNTS, [MINE, MINE_LATER, OTHER], today=date(2026, 11, 20))

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.store.close()


def test_api_needs_credentials(h):
    client = h.client()
    response = client.get("/api/v1/proposals")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert client.get("/api/v1/proposals", auth=("coord-noord", "x")).status_code == 401


def test_list_is_scoped_and_sorted(h):
    body = h.client().get("/api/v1/proposals", auth=NOORD).json()
    assert [item["proposal_id"] for item in body] == [
        str(MINE.proposal_id),
        str(MINE_LATER.proposal_id),
    ]
    assert [item["overdue"] for item in body] == [True, False]
    assert "intake_ref" not in body[0]
    assert "hh_ref" not in body[0]
    zuid = h.client().get("/api/v1/proposals", auth=ZUID).json()
    assert [item["proposal_id"] for item in zuid] == [str(OTHER.proposal_id)]


def test_show_is_audited_and_scoped(h):
    client = h.client()
    body = client.get(f"/api/v1/proposals/{MINE.proposal_id}", auth=NOORD).json()
    assert body["intake_ref"] == MINE.intake_ref
    assert body["status"] == "open"
    assert "hh_ref" not in body
    assert client.get(f"/api/v1/proposals/{MINE.proposal_id}", auth=ZUID).status_code == 404
    assert [(e.action, e.actor_id) for e in h.audit()] == [(AuditAction.VIEW, "coord-noord")]


def test_decide_is_idempotent_and_scoped(h):
    client = h.client()
    url = f"/api/v1/proposals/{MINE.proposal_id}/decision"
    assert client.post(url, json={"decision": "accepted"}, auth=ZUID).status_code == 404
    first = client.post(url, json={"decision": "accepted"}, auth=NOORD)
    assert first.status_code == 201
    assert first.json()["new"] is True
    again = client.post(url, json={"decision": "accepted"}, auth=NOORD)
    assert again.status_code == 200
    assert again.json()["decision_id"] == first.json()["decision_id"]
    assert [d.decision for d in h.decisions()] == [Decision.ACCEPTED]
    assert client.post(url, json={"decision": "declined"}, auth=NOORD).status_code == 409
    # new, repeat and conflict are each in the trail; the out-of-scope 404 is not
    assert [(e.action, e.actor_id) for e in h.audit()] == [(AuditAction.DECIDE, "coord-noord")] * 3
    listed = client.get("/api/v1/proposals", auth=NOORD).json()
    assert str(MINE.proposal_id) not in {item["proposal_id"] for item in listed}
    shown = client.get(f"/api/v1/proposals/{MINE.proposal_id}", auth=NOORD).json()
    assert shown["status"] == "decided"


def test_decide_validates(h):
    client = h.client()
    url = f"/api/v1/proposals/{MINE.proposal_id}/decision"
    assert client.post(url, json={"decision": "closed"}, auth=NOORD).status_code == 422
    assert client.post(url, json={"decision": "maybe"}, auth=NOORD).status_code == 422
    form = client.post(url, data={"decision": "accepted"}, auth=NOORD)
    assert form.status_code in {415, 422}
    assert h.decisions() == []


def test_openapi_document_describes_the_api_only(h):
    doc = h.client().get("/openapi.json").json()
    assert set(doc["paths"]) == {
        "/api/v1/proposals",
        "/api/v1/proposals/{proposal_id}",
        "/api/v1/proposals/{proposal_id}/decision",
    }
    assert "HTTPBasic" in doc["components"]["securitySchemes"]


def test_api_throttles_failed_logins_with_retry_after(h):
    client = h.client()
    for _ in range(5):
        assert client.get("/api/v1/proposals", auth=("coord-noord", "x")).status_code == 401
    refused = client.get("/api/v1/proposals", auth=NOORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "try again in 1 s" in refused.json()["detail"]
    assert client.get("/api/v1/proposals", auth=ZUID).status_code == 200  # other accounts
