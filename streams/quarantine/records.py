"""Parked records on ``quarantine.v1``: how each state is written and read back (pure).

A parked record is one Kafka key (its id, :func:`quarantine_id`: a UUIDv5 of where the
original was read, so parking the same message twice gives the same id) whose latest message
is its state. The topic is compacted, so that latest state is what stays:

========== ============ ===================================================================
state      written by   value
========== ============ ===================================================================
parked     the ingress  the original value (``b""`` for a tombstone, see ``q_nulls``)
released   an operator  the original value again: the ingress processes it once more
discarding an operator  ``b""``: the ingress will end it (and re-drive what it held)
resolved   the ingress  none (a tombstone): re-driven and forwarded, or dead-lettered
discarded  the ingress  none (a tombstone): discarded by an operator, never processed
========== ============ ===================================================================

A ``parked``/``released`` message carries the original headers first and then the hub's,
all named ``q_*``; ``q_headers`` says how many of the headers are the original's, so an
original header that happens to be called ``q_state`` changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from streams.runtime.deadletters import bounded
from streams.runtime.messages import Headers, Message, Outgoing
from streams.runtime.topics import QUARANTINE_TOPIC

__all__ = [
    "FINAL",
    "HOLDING",
    "QUARANTINE_LIMIT",
    "Entry",
    "Origin",
    "hold_key_of",
    "park",
    "parse",
    "quarantine_id",
    "route",
]

QUARANTINE_LIMIT = 2_000_000
"""Most bytes of a parked message; the topic takes 2 MiB (``max.message.bytes``). A larger
original is parked by reference (cut, with its size and SHA-256)."""
HOLDING = frozenset({"parked", "released", "discarding"})
"""States in which a record is still open, and holds what is parked behind it."""
FINAL = frozenset({"resolved", "discarded"})
_NAMESPACE = uuid.UUID("5b0e7c1e-3f7a-5d0b-9a51-7a3f0c2b9e11")
_REASON_MAX = 500


def quarantine_id(topic: str, partition: int, offset: int) -> str:
    """The id of the record read at ``topic``/``partition``/``offset`` (full topic name)."""
    return str(uuid.uuid5(_NAMESPACE, f"{topic}|{partition}|{offset}"))


def hold_key_of(*, hh_ref: str | None, topic: str, key: bytes | None) -> str | None:
    """What a parked consent record holds: its household when the hub could tell
    (``hh:<hh_ref>``), else the partner's subject key on that topic (``key:<topic>:<sha>``),
    else nothing (``None``)."""
    if hh_ref is not None:
        return f"hh:{hh_ref}"
    if key:
        return f"key:{topic}:{hashlib.sha256(key).hexdigest()[:32]}"
    return None


def route(routing: str, partitions: int) -> int:
    """The quarantine partition of a new entry: everything one hold covers shares one, so
    that the ingress sees a record's end before what was held behind it."""
    return zlib.crc32(routing.encode()) % partitions


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a parked record was read and what it held (``value`` ``None``: not carried)."""

    message: Message
    size: int
    sha256: str
    truncated: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """One parked record in one state, as read from (or about to be written to) the topic."""

    id: str
    state: str
    origin: Origin
    reason: str
    at: datetime
    hh_ref: str | None = None
    hold: str | None = None
    """What this record holds when it is a head: see :func:`hold_key_of`."""
    held_by: str | None = None
    """The id of the head this record waits behind; ``None`` for a head."""
    attempt: int = 1
    read_from: str = ""
    """``topic:partition:offset`` of the message whose processing parked it (the commit of
    that offset by the ingress makes the park final)."""
    actor: str = ""
    outcome: str = ""
    partition: int = -1
    offset: int | None = None
    """Offset on ``quarantine.v1``; ``None`` until the broker acknowledged it."""

    @property
    def open(self) -> bool:
        """Whether an operator or the ingress still has to act on it."""
        return self.state in HOLDING

    def at_state(self, state: str, *, at: datetime, actor: str = "", outcome: str = "",
                 reason: str | None = None) -> Entry:  # fmt: skip
        """This record in ``state`` (not yet written)."""
        return replace(self, state=state, at=at, actor=actor, outcome=outcome,
                       reason=self.reason if reason is None else reason, offset=None)  # fmt: skip

    def outgoing(self) -> Outgoing:
        """The message that writes this state to ``quarantine.v1`` (partition chosen)."""
        carried = self.state in {"parked", "released"}
        original = self.origin.message
        ours = _our_headers(self, len(original.headers) if carried else 0, carried=carried)
        if not carried:
            value = b"" if self.state == "discarding" else None
            return Outgoing(QUARANTINE_TOPIC, self.id.encode(), value, ours, self.partition)
        pairs = (("key", original.key), ("value", original.value))
        nulls = ",".join(name for name, v in pairs if v is None)
        headers = [*original.headers, *ours, *((("q_nulls", nulls.encode()),) if nulls else ())]
        return Outgoing(QUARANTINE_TOPIC, self.id.encode(), original.value or b"", headers,
                        self.partition)  # fmt: skip


def _our_headers(entry: Entry, originals: int, *, carried: bool) -> Headers:
    o = entry.origin
    fields = {
        "q_headers": str(originals),
        "q_id": entry.id,
        "q_state": entry.state,
        "q_at": entry.at.astimezone(UTC).isoformat(),
        "q_reason": entry.reason[:_REASON_MAX],
        "q_topic": o.message.topic,
        "q_partition": str(o.message.partition),
        "q_offset": str(o.message.offset),
        "q_size": str(o.size),
        "q_sha256": o.sha256,
        "q_truncated": "1" if o.truncated else "",
        "q_hh_ref": entry.hh_ref or "",
        "q_hold": entry.hold or "",
        "q_held_by": entry.held_by or "",
        "q_attempt": str(entry.attempt),
        "q_from": entry.read_from,
        "q_actor": entry.actor,
        "q_outcome": entry.outcome,
    }
    headers = [(name, text.encode("utf-8", "replace")) for name, text in fields.items() if text]
    if o.message.key is not None and carried:
        headers.append(("q_key", o.message.key))
    return headers


def park(message: Message, reason: str, *, at: datetime, partitions: int, read_from: str,
         hh_ref: str | None = None, hold: str | None = None, held_by: str | None = None,
         partition: int | None = None, attempt: int = 1) -> Entry:  # fmt: skip
    """The ``parked`` entry for ``message`` (cut to :data:`QUARANTINE_LIMIT` when larger).

    ``partition``: the entry's partition when it already has one (a re-park), else it is
    routed by ``hold`` (a head, and a follower passes its head's) or by its id.
    """
    qid = quarantine_id(message.topic, message.partition, message.offset)
    fitted = bounded(message, QUARANTINE_LIMIT, reserve=4096)
    kept = Message(message.topic, message.partition, message.offset, fitted.key, fitted.value,
                   fitted.headers)  # fmt: skip
    value = message.value or b""
    origin = Origin(kept, len(value), hashlib.sha256(value).hexdigest(), bool(fitted.notes))
    if partition is None:
        partition = route(hold or qid, partitions)
    return Entry(qid, "parked", origin, reason, at, hh_ref=hh_ref, hold=hold, held_by=held_by,
                 attempt=attempt, read_from=read_from, partition=partition)  # fmt: skip


def parse(record: Message) -> Entry | None:
    """The entry a consumed ``quarantine.v1`` message holds; ``None`` when it is not one
    (the topic's writers are the hub and its operators only, but never trust a byte)."""
    headers = record.headers
    try:
        originals = int(dict(headers).get("q_headers", b"0"))
        ours = dict(headers[originals:])
        text = {k: v.decode("utf-8", "replace") for k, v in ours.items() if k != "q_key"}
        nulls = set(text.get("q_nulls", "").split(","))
        if text["q_state"] not in HOLDING | FINAL:
            return None
        carried = text["q_state"] in {"parked", "released"}
        key = ours.get("q_key") if carried and "key" not in nulls else None
        value = record.value if carried and "value" not in nulls else None
        message = Message(text["q_topic"], int(text["q_partition"]), int(text["q_offset"]), key,
                          value, list(headers[:originals]))  # fmt: skip
        origin = Origin(message, int(text["q_size"]), text["q_sha256"],
                        text.get("q_truncated") == "1")  # fmt: skip
        return Entry(
            id=text["q_id"], state=text["q_state"], origin=origin,
            reason=text.get("q_reason", ""), at=datetime.fromisoformat(text["q_at"]),
            hh_ref=text.get("q_hh_ref") or None, hold=text.get("q_hold") or None,
            held_by=text.get("q_held_by") or None, attempt=int(text.get("q_attempt", "1")),
            read_from=text.get("q_from", ""), actor=text.get("q_actor", ""),
            outcome=text.get("q_outcome", ""), partition=record.partition, offset=record.offset,
        )  # fmt: skip
    except (KeyError, ValueError, TypeError, IndexError):
        return None
