"""Helpers for tests of the inbox and for demos: synthetic proposals, a recording publisher.

Everything here is synthetic: hh_refs are hashes of a seed word, intake refs are made up.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from inbox.errors import PublishFailedError
from schemas.codec import Encoded, decode
from schemas.models import (
    AuditEntry,
    ContributingSignal,
    CoordinatorDecision,
    Domain,
    JointActionProposal,
    Priority,
    SignalKind,
    SuggestedAction,
)

__all__ = [
    "TEST_ACCOUNTS",
    "InboxHarness",
    "Published",
    "RecordingPublisher",
    "coordinator_toml",
    "make_proposal",
]


def make_proposal(
    seed: str,
    *,
    buurt_code: str | None = "BU03630001",
    priority: Priority = Priority.NORMAL,
    respond_by: date | None = None,
    created_at: datetime | None = None,
) -> JointActionProposal:
    """A synthetic wonen+school proposal whose ids derive from ``seed``."""
    created = created_at or datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    return JointActionProposal(
        proposal_id=uuid.uuid5(uuid.NAMESPACE_URL, f"wijkhub-test-proposal/{seed}"),
        created_at=created,
        hh_ref="k1:" + hashlib.sha256(seed.encode()).hexdigest(),
        intake_ref=f"INT-{hashlib.sha256(seed.encode()).hexdigest()[:8].upper()}",
        buurt_code=buurt_code,
        rule="multi_domain",
        domains=(Domain.WONEN, Domain.SCHOOL),
        signals=(
            ContributingSignal(
                domain=Domain.WONEN, kind=SignalKind.RENT_ARREARS, since=date(2026, 8, 1)
            ),
            ContributingSignal(
                domain=Domain.SCHOOL, kind=SignalKind.UNAUTHORISED_16H_4W, since=date(2026, 9, 15)
            ),
        ),
        suggested_actions=(SuggestedAction.KITCHEN_TABLE_TALK, SuggestedAction.DEBT_COUNSELLING),
        priority=priority,
        respond_by=respond_by or (created.date() + timedelta(days=28)),
    )


@dataclass(frozen=True, slots=True)
class Published:
    """One message the :class:`RecordingPublisher` took."""

    topic: str
    key: bytes
    encoded: Encoded

    def record(self) -> object:
        """The decoded record (headers checked too)."""
        return decode(self.encoded.value, self.encoded.headers)


@dataclass
class RecordingPublisher:
    """An :class:`~inbox.publisher.EventPublisher` for unit tests: keeps messages.

    Set ``fail_topics`` to make publishing to those topics fail as Kafka would.
    """

    messages: list[Published] = field(default_factory=list)
    fail_topics: set[str] = field(default_factory=set)

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        """Keep the message, or fail for a topic in ``fail_topics``."""
        if topic in self.fail_topics:
            raise PublishFailedError(f"topic {topic}: (test) broker did not acknowledge")
        self.messages.append(Published(topic, key, encoded))

    def on(self, topic: str) -> list[object]:
        """Decoded records published to ``topic``."""
        return [m.record() for m in self.messages if m.topic == topic]

    def close(self) -> None:
        """Nothing to release."""


def coordinator_toml(accounts: dict[str, tuple[str, list[str]]], *, log2_n: int = 10) -> str:
    """A coordinators file: ``{id: (password, buurten)}``; ``log2_n`` low keeps tests quick."""
    from inbox.passwords import hash_password

    blocks = []
    for account, (password, buurten) in accounts.items():
        codes = ", ".join(f'"{b}"' for b in buurten)
        blocks.append(
            f'[[coordinator]]\nid = "{account}"\nrole = "coordinator"\nbuurten = [{codes}]\n'
            f'password_hash = "{hash_password(password, log2_n=log2_n)}"\n'
        )
    return "\n".join(blocks)


class InboxHarness:
    """The real inbox app on an in-memory store and a :class:`RecordingPublisher`.

    ``accounts`` as for :func:`coordinator_toml`; ``today`` fixes the overdue date;
    ``login_limit`` is how many failed logins one address has on one account before the
    back-off starts.
    """

    source = "urn:nld:oin:00000001234567890000:systeem:wijkhub-inbox"

    def __init__(
        self,
        workdir: Path,
        accounts: dict[str, tuple[str, list[str]]],
        proposals: list[JointActionProposal],
        *,
        today: date,
        login_limit: int = 5,
    ) -> None:
        from inbox.app import InboxContext, create_app, make_templates
        from inbox.audit import Auditor
        from inbox.coordinators import load_coordinators
        from inbox.metrics import InboxMetrics
        from inbox.security import LoginGuard, SessionRegistry
        from inbox.service import InboxService
        from inbox.store import SqliteStore
        from inbox.throttle import Backoff, LoginThrottle, ThrottlePolicy

        path = workdir / "coordinators.toml"
        path.write_text(coordinator_toml(accounts), encoding="utf-8")
        self.coordinators = load_coordinators(path)
        self.store = SqliteStore(":memory:")
        for proposal in proposals:
            self.store.apply_proposal(proposal)
        self.publisher = RecordingPublisher()
        self.broker_is_up = True
        """What the app's broker probe says; set ``False`` to play a broker outage."""
        self.metrics = InboxMetrics()
        service = InboxService(
            self.store,
            self.publisher,
            Auditor(self.publisher, source=self.source, metrics=self.metrics),
            source=self.source,
            today=lambda: today,
        )
        ctx = InboxContext(
            service=service,
            coordinators=self.coordinators,
            sessions=SessionRegistry(self.coordinators, lifetime_s=3600),
            logins=LoginGuard(
                self.coordinators,
                LoginThrottle(ThrottlePolicy(account_at_address=Backoff(free=login_limit))),
            ),
            templates=make_templates(),
            ready=lambda: True,
            broker_up=lambda: self.broker_is_up,
            metrics=self.metrics,
        )
        self.app = create_app(ctx, session_secret="unit-test-secret-" + "x" * 32)

    def audit(self) -> list[AuditEntry]:
        """Audit entries published so far."""
        return [e for e in self.publisher.on("audit.v1") if isinstance(e, AuditEntry)]

    def decisions(self) -> list[CoordinatorDecision]:
        """Decisions published so far."""
        return [d for d in self.publisher.on("decisions.v1") if isinstance(d, CoordinatorDecision)]


TEST_ACCOUNTS: dict[str, tuple[str, list[str]]] = {
    "coord-noord": ("wachtwoord-noord-1", ["BU03630001"]),
    "coord-zuid": ("wachtwoord-zuid-12", ["BU03630002"]),
}
"""Synthetic coordinator accounts: ``{id: (password, buurten)}``."""
