"""NEN 7513 audit entries for every view of and decision on a proposal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from inbox.errors import AuditUnavailableError, PublishFailedError
from inbox.metrics import InboxMetrics
from inbox.publisher import EventPublisher
from schemas.codec import encode
from schemas.models import ActorRole, AuditAction, AuditEntry, AuditObjectType

__all__ = ["AUDIT_TOPIC", "Auditor"]

AUDIT_TOPIC = "audit.v1"


class Auditor:
    """Writes audit entries to ``audit.v1``; raises if the broker does not take them."""

    def __init__(
        self,
        publisher: EventPublisher,
        *,
        source: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: InboxMetrics | None = None,
    ) -> None:
        self._publisher = publisher
        self._metrics = metrics
        self._source = source
        self._clock = clock

    def record(
        self,
        *,
        actor_id: str,
        actor_role: ActorRole,
        action: AuditAction,
        proposal_id: UUID,
        on_behalf_of: str | None = None,
    ) -> AuditEntry:
        """Write one entry about a proposal (who, on whose behalf, what, when, which)."""
        now = self._clock()
        entry = AuditEntry(
            entry_id=uuid.uuid4(),
            at=now,
            actor_role=actor_role,
            actor_id=actor_id,
            on_behalf_of=on_behalf_of,
            action=action,
            object_type=AuditObjectType.PROPOSAL,
            object_id=str(proposal_id),
        )
        try:
            self._publisher.publish(
                AUDIT_TOPIC,
                str(entry.entry_id).encode("ascii"),
                encode(entry, source=self._source, time=now),
            )
        except PublishFailedError as exc:
            if self._metrics is not None:
                self._metrics.audited(action.value, written=False)
            raise AuditUnavailableError(
                f"the audit trail is unavailable, so the {action.value} was refused: {exc}"
            ) from None
        if self._metrics is not None:
            self._metrics.audited(action.value, written=True)
        return entry
