"""The operator's side of ``quarantine.v1``: read what is parked, release or discard a record.

An operator never edits state: a release or discard is one message on ``quarantine.v1`` that
the ingress acts on (``released``: it processes the original again; ``discarding``: it ends
the record and re-drives what it held), written only after an audit entry on ``audit.v1``
(NEN 7513: who, on whose behalf, what, when; release is a *decide*, discard a *purge*). Both
are safe to run twice: a record already released, re-driven or discarded is reported and left
alone, and the audit entry's id is derived from the record and the action, so a second entry
is the same entry.

A record is acted on only once the ingress has committed the offset whose processing parked
it; until then a restart of the hub could park it again after the operator ended it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas.codec import encode
from schemas.models import ActorRole, AuditAction, AuditEntry, AuditObjectType
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.quarantine.errors import QuarantineError
from streams.quarantine.records import Entry, parse
from streams.quarantine.view import QuarantineView
from streams.runtime.lag import GroupLag
from streams.runtime.messages import Message, Outgoing
from streams.runtime.topics import AUDIT_TOPIC, QUARANTINE_TOPIC
from streams.settings import INGRESS_GROUP_SUFFIX, HubSettings

__all__ = ["Actor", "Done", "QuarantineDesk"]

_NAMESPACE = uuid.UUID("0c6f2a5e-8d2b-5b7e-a1f3-6e9d4c2b1a70")
_SEND_TIMEOUT = 30.0
_MAX_REQUEST = 2 * 1024 * 1024 + 64 * 1024


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts (NEN 7513): account id, role, and on whose behalf."""

    actor_id: str
    role: ActorRole = ActorRole.FUNCTIONAL_ADMIN
    on_behalf_of: str | None = None


@dataclass(frozen=True, slots=True)
class Done:
    """What an action did: ``changed`` is false when there was nothing (more) to do."""

    entry: Entry
    changed: bool
    message: str


class QuarantineDesk:
    """Reads ``quarantine.v1`` and writes releases, discards and their audit entries."""

    def __init__(self, kafka: KafkaSettings, hub: HubSettings,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self.kafka, self.hub, self.clock = kafka, hub, clock

    def load(self) -> QuarantineView:
        """Every parked record's latest state, read from the whole topic now."""
        view = QuarantineView()
        for record in read_to_end(self.kafka, self.kafka.topic(QUARANTINE_TOPIC)):
            entry = parse(Message.of(record))
            if entry is not None:
                view.apply(entry)
        return view

    def find(self, view: QuarantineView, qid: str) -> Entry:
        """The record ``qid`` (or the one record whose id starts with it, 8+ characters)."""
        found = view.get(qid)
        if found is None and len(qid) >= 8:
            matches = [e for e in view.entries() if e.id.startswith(qid)]
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise QuarantineError(
                f"no parked record {qid!r} on {self.kafka.topic(QUARANTINE_TOPIC)}; "
                "`wijkhub quarantine list --all` shows every record"
            )
        return found

    def release(self, qid: str, actor: Actor) -> Done:
        """Have the ingress process record ``qid`` again (once its cause is fixed)."""
        view = self.load()
        entry = self.find(view, qid)
        if entry.state == "released":
            return Done(entry, False, f"already released at {entry.at:%Y-%m-%d %H:%M} by "
                        f"{entry.actor}; the hub is re-driving it")  # fmt: skip
        if entry.state == "resolved":
            return Done(entry, False, f"already re-driven at {entry.at:%Y-%m-%d %H:%M} "
                        f"({entry.outcome}); nothing to do")  # fmt: skip
        if entry.state in {"discarding", "discarded"}:
            raise QuarantineError(
                f"record {entry.id} was discarded; a discarded record is never processed "
                "(the gemeente must publish it again)"
            )
        if entry.origin.truncated:
            raise QuarantineError(
                f"record {entry.id} was parked by reference ({entry.origin.size} bytes, far more "
                "than any valid record), so it cannot be released; discard it"
            )
        head = view.get(entry.held_by) if entry.held_by else None
        if head is not None and head.open:
            raise QuarantineError(
                f"record {entry.id} is held behind {head.id}; release or discard that one, and "
                "this one is re-driven after it"
            )
        self._check_committed(entry)
        self._audit(entry, actor, AuditAction.DECIDE, "release")
        self._send(entry.at_state("released", at=self.clock(), actor=actor.actor_id))
        return Done(entry, True, f"released {entry.id}; the hub processes it again")

    def discard(self, qid: str, actor: Actor) -> Done:
        """End record ``qid`` unprocessed; what it held is re-driven."""
        view = self.load()
        entry = self.find(view, qid)
        if entry.state in {"discarding", "discarded"}:
            return Done(entry, False, f"already discarded at {entry.at:%Y-%m-%d %H:%M} by "
                        f"{entry.actor or 'an operator'}; nothing to do")  # fmt: skip
        if entry.state == "resolved":
            raise QuarantineError(f"record {entry.id} was re-driven already ({entry.outcome}); "
                                  "there is nothing to discard")  # fmt: skip
        if entry.state == "released":
            raise QuarantineError(f"record {entry.id} was released at {entry.at:%Y-%m-%d %H:%M} "
                                  "and is being re-driven; look again in a moment")  # fmt: skip
        self._check_committed(entry)
        self._audit(entry, actor, AuditAction.PURGE, "discard")
        self._send(entry.at_state("discarding", at=self.clock(), actor=actor.actor_id))
        return Done(entry, True, f"discarded {entry.id}; it is never processed")

    # -- helpers -------------------------------------------------------------------------

    def _check_committed(self, entry: Entry) -> None:
        try:
            topic, partition, offset = entry.read_from.rsplit(":", 2)
            int(partition), int(offset)
        except ValueError:
            raise QuarantineError(
                f"record {entry.id} does not say where the hub parked it (q_from "
                f"{entry.read_from!r}); it was not written by this hub"
            ) from None
        group = self.hub.app_id + INGRESS_GROUP_SUFFIX
        with GroupLag(self.kafka, group) as lag:
            committed = lag.committed(topic, int(partition))
        if committed <= int(offset):
            raise QuarantineError(
                f"the hub (group {group}) has not yet committed {topic} partition {partition} "
                f"past offset {offset}, where record {entry.id} was parked; is the worker "
                "running? Try again in a few seconds"
            )

    def _audit(self, entry: Entry, actor: Actor, action: AuditAction, what: str) -> None:
        at = self.clock()
        try:
            audit = AuditEntry(
                entry_id=uuid.uuid5(_NAMESPACE, f"{entry.id}|{what}|{entry.offset}"),
                at=at, actor_role=actor.role, actor_id=actor.actor_id,
                on_behalf_of=actor.on_behalf_of, action=action,
                object_type=AuditObjectType.HOUSEHOLD, object_id=entry.hh_ref or entry.id,
            )  # fmt: skip
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise QuarantineError(
                f"invalid {fields}: an account id has letters, digits and ._:- only, at least "
                "one letter (not an e-mail address)"
            ) from None
        value, headers = encode(audit, source=self.hub.ce_source, time=at)
        key = str(audit.entry_id).encode()
        self._send_raw(Outgoing(AUDIT_TOPIC, key, value, headers), "the audit trail")

    def _send(self, entry: Entry) -> None:
        self._send_raw(entry.outgoing(), "quarantine.v1")

    def _send_raw(self, out: Outgoing, what: str) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        producer: Any = KafkaProducer(**self.kafka.kafka_python_config(), acks="all",
                                      max_request_size=_MAX_REQUEST)  # fmt: skip
        try:
            sent = producer.send(self.kafka.topic(out.topic), value=out.value, key=out.key,
                                 headers=out.headers, partition=out.partition)  # fmt: skip
            sent.get(_SEND_TIMEOUT)
        except KafkaError as exc:
            raise QuarantineError(
                f"could not write to {what} ({type(exc).__name__}); nothing was changed after "
                "that: run the command again"
            ) from None
        finally:
            producer.close(timeout=10)
