"""The real inbox app (FastAPI TestClient) on an in-memory store and a recording publisher:
login, CSRF, buurt scoping, deciding, audit, error pages and the JSON API."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from inbox.service import decision_id_for
from schemas.models import AuditAction, Decision, DecisionOutcome, Priority
from tests.support.inbox import InboxHarness, make_proposal

TODAY = date(2026, 11, 20)
MINE = make_proposal("mine", priority=Priority.HIGH, respond_by=date(2026, 11, 10))
MINE_LATER = make_proposal("mine-later", priority=Priority.HIGH, respond_by=date(2026, 12, 10))
OTHER = make_proposal("other", buurt_code="BU03630002", priority=Priority.URGENT)


ACCOUNTS = {
    "coord-noord": ("pw-noord", ["BU03630001"]),
    "coord-zuid": ("pw-zuid", ["BU03630002"]),
}


class Harness(InboxHarness):
    def __init__(self, tmp_path):
        super().__init__(tmp_path, ACCOUNTS, [MINE, MINE_LATER, OTHER], today=TODAY, login_limit=3)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://127.0.0.1")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def login(client: TestClient, account="coord-noord", password="pw-noord"):  # noqa: S107
    page = client.get("/login")
    return client.post(
        "/login",
        data={"coordinator_id": account, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )


@pytest.fixture
def h(tmp_path):
    harness = Harness(tmp_path)
    yield harness
    harness.store.close()


def test_inbox_needs_login(h):
    response = h.client().get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_session_cookie_is_httponly_samesite_signed(h):
    client = h.client()
    response = login(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "coord-noord" not in cookie  # only a signed random session id


def test_login_without_csrf_token_is_refused(h):
    client = h.client()
    client.get("/login")
    response = client.post("/login", data={"coordinator_id": "coord-noord", "password": "pw-noord"})
    assert response.status_code == 403
    assert "formulier is verlopen" in response.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_then_throttled(h):
    client = h.client()
    for _ in range(3):
        assert login(client, password="nope").status_code == 401
    response = login(client)  # right password, but this address waits for the back-off
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert "Te veel mislukte pogingen. Probeer het over 1 seconde opnieuw." in response.text


def test_list_shows_own_buurt_sorted_with_overdue_mark(h):
    client = h.client()
    login(client)
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="nl">' in page.text
    assert str(MINE.proposal_id) in page.text
    assert str(OTHER.proposal_id) not in page.text
    assert page.text.index(str(MINE.proposal_id)) < page.text.index(str(MINE_LATER.proposal_id))
    assert page.text.count("Te laat") == 1
    for secret in (MINE.intake_ref, MINE.hh_ref):
        assert secret not in page.text  # no identifiers on the list
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert h.audit() == []  # the list shows no household details: nothing to audit


def test_detail_shows_explanation_and_intake_ref_and_is_audited(h):
    client = h.client()
    login(client)
    page = client.get(f"/voorstellen/{MINE.proposal_id}")
    assert page.status_code == 200
    assert MINE.intake_ref in page.text
    assert MINE.hh_ref not in page.text
    assert "Huurachterstand" in page.text
    assert "Keukentafelgesprek" in page.text
    assert 'for="besluit-accepted"' in page.text
    [entry] = h.audit()
    assert entry.action is AuditAction.VIEW
    assert entry.actor_id == "coord-noord"
    assert entry.object_id == str(MINE.proposal_id)


def test_other_buurt_is_404_and_not_audited(h):
    client = h.client()
    login(client)
    page = client.get(f"/voorstellen/{OTHER.proposal_id}")
    assert page.status_code == 404
    assert "buiten uw buurten" in page.text
    assert OTHER.intake_ref not in page.text
    token = csrf_of(client.get("/").text)
    post = client.post(
        f"/voorstellen/{OTHER.proposal_id}/besluit",
        data={"decision": "accepted", "csrf_token": token},
    )
    assert post.status_code == 404
    assert h.decisions() == []
    assert h.audit() == []


def test_decide_publishes_audits_and_leaves_the_list(h):
    client = h.client()
    login(client)
    token = csrf_of(client.get(f"/voorstellen/{MINE.proposal_id}").text)
    form = {"decision": "closed", "outcome": "support_started", "csrf_token": token}
    response = client.post(f"/voorstellen/{MINE.proposal_id}/besluit", data=form)
    assert response.status_code == 200
    assert "Besluit vastgelegd." in response.text
    assert str(MINE.proposal_id) not in response.text
    [decision] = h.decisions()
    assert decision.decision is Decision.CLOSED
    assert decision.outcome is DecisionOutcome.SUPPORT_STARTED
    assert decision.hh_ref == MINE.hh_ref
    assert decision.decision_id == decision_id_for(
        MINE.proposal_id, Decision.CLOSED, DecisionOutcome.SUPPORT_STARTED
    )
    assert [e.action for e in h.audit()] == [AuditAction.VIEW, AuditAction.DECIDE]
    [message] = [m for m in h.publisher.messages if m.topic == "decisions.v1"]
    assert message.key == MINE.hh_ref.encode()
    # a double submit is the same decision: nothing new goes out, but it is in the trail
    again = client.post(f"/voorstellen/{MINE.proposal_id}/besluit", data=form)
    assert "al vastgelegd" in again.text
    assert len(h.decisions()) == 1
    # a different decision afterwards is a conflict, also in the trail
    other = client.post(
        f"/voorstellen/{MINE.proposal_id}/besluit",
        data={"decision": "declined", "csrf_token": token},
    )
    assert other.status_code == 409
    assert len(h.decisions()) == 1
    trail = [(e.action, e.actor_id, e.object_id) for e in h.audit()]
    assert (
        trail
        == [(AuditAction.VIEW, "coord-noord", str(MINE.proposal_id))]
        + [(AuditAction.DECIDE, "coord-noord", str(MINE.proposal_id))] * 3
    )


def test_decide_without_csrf_is_refused(h):
    client = h.client()
    login(client)
    response = client.post(
        f"/voorstellen/{MINE.proposal_id}/besluit", data={"decision": "accepted"}
    )
    assert response.status_code == 403
    assert h.decisions() == []


@pytest.mark.parametrize(
    "form", [{"decision": "closed"}, {"decision": "accepted", "outcome": "moved_away"}, {}]
)
def test_invalid_decisions_re_render_the_form(h, form):
    client = h.client()
    login(client)
    token = csrf_of(client.get(f"/voorstellen/{MINE.proposal_id}").text)
    response = client.post(
        f"/voorstellen/{MINE.proposal_id}/besluit", data={**form, "csrf_token": token}
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert h.decisions() == []


def test_audit_down_means_no_view_and_no_decision(h):
    client = h.client()
    login(client)
    token = csrf_of(client.get("/").text)
    h.publisher.fail_topics.add("audit.v1")
    assert client.get(f"/voorstellen/{MINE.proposal_id}").status_code == 503
    response = client.post(
        f"/voorstellen/{MINE.proposal_id}/besluit",
        data={"decision": "accepted", "csrf_token": token},
    )
    assert response.status_code == 503
    assert "niets gewijzigd" in response.text
    assert h.decisions() == []


def test_decision_topic_down_keeps_the_proposal_open(h):
    client = h.client()
    login(client)
    token = csrf_of(client.get("/").text)
    h.publisher.fail_topics.add("decisions.v1")
    response = client.post(
        f"/voorstellen/{MINE.proposal_id}/besluit",
        data={"decision": "accepted", "csrf_token": token},
    )
    assert response.status_code == 503
    assert str(MINE.proposal_id) in client.get("/").text


def test_logout_ends_the_session(h):
    client = h.client()
    login(client)
    token = csrf_of(client.get("/").text)
    assert (
        client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_page_and_bad_id_are_friendly(h):
    client = h.client()
    login(client)
    missing = client.get("/nergens")
    assert missing.status_code == 404
    assert "Deze pagina bestaat niet." in missing.text
    bad = client.get("/voorstellen/not-a-uuid")
    assert bad.status_code == 422
    assert "<h1>" in bad.text


def test_unexpected_errors_get_a_plain_error_page(h, monkeypatch):
    client = TestClient(h.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    login(client)

    def broken(_visibility):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(h.store, "open_proposals", broken)
    page = client.get("/")
    assert page.status_code == 500
    assert "Er ging iets mis" in page.text
    assert "disk on fire" not in page.text


def test_a_repeated_decision_is_refused_without_its_audit_entry(h):
    client = h.client()
    login(client)
    token = csrf_of(client.get("/").text)
    form = {"decision": "accepted", "csrf_token": token}
    assert client.post(f"/voorstellen/{MINE.proposal_id}/besluit", data=form).status_code == 200
    h.publisher.fail_topics.add("audit.v1")
    again = client.post(f"/voorstellen/{MINE.proposal_id}/besluit", data=form)
    assert again.status_code == 503  # no trail, no answer: not even "already recorded"
    assert "al vastgelegd" not in again.text
    assert [e.action for e in h.audit()] == [AuditAction.DECIDE]


def test_health_tells_the_truth_about_the_broker_at_once(h):
    client = h.client()
    ready = client.get("/healthz")
    assert (ready.status_code, ready.json()) == (
        200,
        {"status": "ready", "store": "ready", "broker": "up"},
    )
    h.broker_is_up = False
    down = client.get("/healthz")
    assert (down.status_code, down.json()) == (
        503,
        {"status": "degraded", "store": "ready", "broker": "down"},
    )
    assert client.get("/livez").json() == {"status": "alive"}
    login(client)
    page = client.get("/")
    assert page.status_code == 200  # the open list needs no Kafka
    assert str(MINE.proposal_id) in page.text
    assert "kan op dit moment niets vastleggen" in page.text
