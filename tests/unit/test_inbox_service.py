"""InboxService on its own: a decision waits for another one's Kafka write only so long."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

import pytest

from inbox.audit import Auditor
from inbox.coordinators import load_coordinators
from inbox.errors import PublishFailedError
from inbox.service import InboxService
from inbox.store import SqliteStore
from schemas.codec import Encoded
from schemas.models import Decision
from tests.support.inbox import RecordingPublisher, coordinator_toml, make_proposal

FIRST = make_proposal("service-first")
SECOND = make_proposal("service-second")


@dataclass
class SlowDecisions(RecordingPublisher):
    """Kafka taking its time over decisions (until ``gate`` opens)."""

    gate: threading.Event = field(default_factory=threading.Event)

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        if topic == "decisions.v1":
            self.gate.wait(30)
        super().publish(topic, key, encoded)


def test_a_decision_waits_for_another_only_so_long(tmp_path):
    path = tmp_path / "coordinators.toml"
    path.write_text(coordinator_toml({"coord-noord": ("pw", ["BU03630001"])}))
    coordinator = load_coordinators(path).get("coord-noord")
    store = SqliteStore(":memory:")
    for p in (FIRST, SECOND):
        store.apply_proposal(p)
    publisher = SlowDecisions()
    source = "urn:nld:oin:00000001234567890000:systeem:wijkhub-inbox"
    service = InboxService(
        store, publisher, Auditor(publisher, source=source), source=source,
        today=lambda: date(2026, 11, 20), decide_wait_s=0.2,
    )  # fmt: skip
    first = threading.Thread(
        target=service.decide, args=(coordinator, FIRST.proposal_id, Decision.ACCEPTED, None)
    )
    first.start()
    while not publisher.on("audit.v1"):  # the first holds the lock, waiting for Kafka
        threading.Event().wait(0.01)
    with pytest.raises(PublishFailedError, match="waiting for Kafka"):
        service.decide(coordinator, SECOND.proposal_id, Decision.ACCEPTED, None)
    publisher.gate.set()
    first.join(10)
    assert [d.proposal_id for d in publisher.on("decisions.v1")] == [FIRST.proposal_id]
    assert len(publisher.on("audit.v1")) == 1  # the refused one left no trail: it never began
    store.close()
