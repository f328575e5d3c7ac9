"""A coordinator works the inbox in real headless chromium, against the real broker.

Seeds proposals on the test's own ``proposals.v1``, runs ``wijkhub inbox serve``, logs in,
opens a proposal, decides, and then reads ``decisions.v1`` and ``audit.v1`` back. Saves
screenshots of the inbox under ``artefacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from schemas.catalogue import ensure_topics
from schemas.logging import configure_logging
from schemas.models import (
    AuditAction,
    CoordinatorDecision,
    Decision,
    DecisionOutcome,
    Priority,
    ProposalRetraction,
    RetractionReason,
)
from tests.support.inbox import TEST_ACCOUNTS, make_proposal
from tests.support.inbox_kafka import publish_records, read_records, running_inbox

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(autouse=True)
def _log_to_the_current_stderr():
    """An earlier test's ``main()`` under capsys may have left structlog on a closed stream."""
    configure_logging(force=True)


ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts"

TODAY = date.today()
URGENT = make_proposal(
    "browser-urgent", priority=Priority.URGENT, respond_by=TODAY - timedelta(days=2)
)
NORMAL = make_proposal(
    "browser-normal", priority=Priority.NORMAL, respond_by=TODAY + timedelta(days=20)
)
HIGH = make_proposal("browser-high", priority=Priority.HIGH, respond_by=TODAY + timedelta(days=3))
RETRACTED = make_proposal("browser-retracted", priority=Priority.URGENT)
ZUID = make_proposal("browser-zuid", buurt_code="BU03630002", priority=Priority.URGENT)


def test_coordinator_logs_in_opens_decides(browser, kafka_settings, kafka_env, tmp_path):
    settings = kafka_settings
    ensure_topics(settings)
    retraction = ProposalRetraction(
        proposal_id=RETRACTED.proposal_id,
        retracted_at=RETRACTED.created_at,
        hh_ref=RETRACTED.hh_ref,
        reason=RetractionReason.CONSENT_ENDED,
    )
    publish_records(settings, "proposals.v1", [NORMAL, URGENT, HIGH, RETRACTED, retraction, ZUID])
    with running_inbox(kafka_env, tmp_path) as base:
        _work_the_inbox(browser, base)
    _check_topics(settings, kafka_env)


def _work_the_inbox(browser, base):
    password = TEST_ACCOUNTS["coord-noord"][0]

    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="nl-NL")
    page = context.new_page()
    page.goto(base + "/")
    assert page.url.endswith("/login")
    page.get_by_label("Accountnaam").fill("coord-noord")
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_label("Wachtwoord").press("Enter")  # keyboard only
    page.wait_for_url(base + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Open voorstellen"
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("banner").count() == 1

    rows = page.locator("tbody tr")
    assert rows.count() == 3  # not the retracted one, not the other buurt's
    links = [rows.nth(i).locator("a").get_attribute("href") for i in range(3)]
    assert links == [f"/voorstellen/{p.proposal_id}" for p in (URGENT, HIGH, NORMAL)]
    assert "Te laat" in rows.nth(0).inner_text()
    assert "Te laat" not in rows.nth(1).inner_text()
    body = page.content()
    assert URGENT.intake_ref not in body
    assert URGENT.hh_ref not in body
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "inbox.png"), full_page=True)

    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"

    rows.nth(0).get_by_role("link").click()
    page.wait_for_url(f"{base}/voorstellen/{URGENT.proposal_id}")
    assert page.get_by_text(URGENT.intake_ref).is_visible()
    assert "Huurachterstand" in page.content()
    page.screenshot(path=str(ARTEFACTS / "proposal.png"), full_page=True)
    page.get_by_label("Afgesloten (kies een uitkomst)").check()
    page.get_by_label("Uitkomst (alleen bij afsluiten)", exact=True).select_option(
        DecisionOutcome.SUPPORT_STARTED.value
    )
    page.get_by_role("button", name="Besluit vastleggen").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("status").first.inner_text() == "Besluit vastgelegd."
    assert page.locator("tbody tr").count() == 2
    assert str(URGENT.proposal_id) not in page.content()
    page.screenshot(path=str(ARTEFACTS / "inbox-after-decision.png"), full_page=True)

    other = page.goto(f"{base}/voorstellen/{ZUID.proposal_id}")
    assert other is not None
    assert other.status == 404
    assert ZUID.intake_ref not in page.content()
    context.close()


def _check_topics(settings, kafka_env):
    decisions = [
        d for d in read_records(settings, "decisions.v1") if isinstance(d, CoordinatorDecision)
    ]
    assert len(decisions) == 1
    [decision] = decisions
    assert decision.proposal_id == URGENT.proposal_id
    assert decision.hh_ref == URGENT.hh_ref
    assert decision.decision is Decision.CLOSED
    assert decision.outcome is DecisionOutcome.SUPPORT_STARTED

    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemas.cli",
            "audit",
            "show",
            "--proposal",
            str(URGENT.proposal_id),
            "--json",
        ],
        env=kafka_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    trail = json.loads(shown.stdout)
    assert [(e["action"], e["actor_id"], e["actor_role"]) for e in trail] == [
        (AuditAction.VIEW.value, "coord-noord", "coordinator"),
        (AuditAction.DECIDE.value, "coord-noord", "coordinator"),
    ]
    zuid_trail = subprocess.run(
        [sys.executable, "-m", "schemas.cli", "audit", "show", "--proposal", str(ZUID.proposal_id)],
        env=kafka_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "no audit entries" in zuid_trail.stdout  # a refused view shows nothing, logs nothing
