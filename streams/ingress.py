"""Ingress: turn one ingest message into a pseudonymised household event, or a dead letter.

Faust-free, so it is tested without a broker. The sealed identifier is opened in memory,
turned into ``hh_ref`` and dropped at once: it is never logged, stored or sent anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from schemas.codec import decode_message, encode
from schemas.errors import DecodeError
from schemas.models import ConsentRecord, HouseholdEvent
from streams.errors import HubError
from streams.keys import HubKeys, hh_ref, unseal

__all__ = [
    "DEADLETTER_TOPIC",
    "HOUSEHOLD_TOPIC",
    "INGEST_DOMAINS",
    "INGEST_TOPICS",
    "DeadLetter",
    "Forward",
    "Message",
    "dead_letter",
    "pseudonymise",
]

INGEST_DOMAINS = ("wonen", "school", "werk", "consent")
# catalogue names (relative to the prefix): the ingress reads the ingest topics, forwards to
# the household topic keyed by hh_ref, and sends what it cannot read to the dead letters
INGEST_TOPICS = tuple(f"ingest.{d}.v1" for d in INGEST_DOMAINS)
HOUSEHOLD_TOPIC = "household-events.v1"
DEADLETTER_TOPIC = "deadletter.v1"
CANONICAL_PREFIX = b"adr1|"
_REASON_MAX = 500
_INGEST = re.compile(r"\.ingest\.([a-z]+)\.v1$")

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Message:
    """Where a Kafka message was read, and what it held."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers

    @classmethod
    def of(cls, record: Any) -> Message:
        """The message of a consumed record (aiokafka's or kafka-python's), headers as
        ``(str, bytes)`` pairs."""
        headers = record.headers or ()
        items = headers.items() if isinstance(headers, dict) else headers
        return cls(record.topic, record.partition, record.offset, record.key, record.value,
                   [(str(k), bytes(v) if v is not None else b"") for k, v in items])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Forward:
    """A household event to publish, keyed by ``hh_ref``."""

    key: bytes
    value: bytes
    headers: Headers
    consent: bool


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An ingest message that is not a valid wijkhub event, and why."""

    message: Message
    reason: str
    consent: bool

    @property
    def headers(self) -> Headers:
        """The original headers plus where the message was read and why it failed."""
        return [
            *self.message.headers,
            ("dlq_topic", self.message.topic.encode()),
            ("dlq_partition", str(self.message.partition).encode()),
            ("dlq_offset", str(self.message.offset).encode()),
            ("dlq_reason", self.reason[:_REASON_MAX].encode("utf-8", "replace")),
        ]


def dead_letter(message: Message, reason: str) -> DeadLetter:
    """A dead letter for ``message``; consent topics are marked so callers never drop them."""
    return DeadLetter(message, reason, message.topic.endswith(".ingest.consent.v1"))


def pseudonymise(message: Message, keys: HubKeys, *, ce_source: str) -> Forward | DeadLetter:
    """Decode, validate and pseudonymise one ingest message."""
    where = f"topic {message.topic} partition {message.partition} offset {message.offset}"
    try:
        record = decode_message(message)
    except DecodeError as exc:
        return dead_letter(message, exc.reason)
    found = _INGEST.search(message.topic)
    domain = "consent" if isinstance(record, ConsentRecord) else getattr(record, "domain", None)
    domain = getattr(domain, "value", domain)
    if domain is None or (found is not None and domain != found[1]):
        return dead_letter(message, f"a {type(record).__name__} does not belong on {where}")
    try:
        canonical = unseal(keys.private_key, record.sealed_subject)
    except HubError as exc:  # the key module's error: not sealed to this hub key
        return dead_letter(message, str(exc))
    if not canonical.startswith(CANONICAL_PREFIX):
        return dead_letter(message, "the sealed subject is not a canonical identifier (adr1|…)")
    ref = hh_ref(keys.pseudonym, canonical)
    del canonical  # the identifier goes no further than this line
    try:
        event = HouseholdEvent.from_ingest(record, hh_ref=ref)
    except ValidationError as exc:
        return dead_letter(message, f"cannot build the household event: {exc.error_count()} errors")
    encoded = encode(event, source=ce_source, time=event.occurred_at)
    return Forward(ref.encode("ascii"), encoded.value, encoded.headers, domain == "consent")
