"""Dead letters: a message a stage cannot read, sent on with where it was read and why.

Both stages build them here. The dead letter keeps the original key, value and headers and
adds ``dlq_topic``, ``dlq_partition``, ``dlq_offset`` and ``dlq_reason`` headers. Consent
records are marked (:attr:`DeadLetter.consent`) so that a caller never drops one: the ingress
parks them on ``quarantine.v1`` instead (:mod:`streams.quarantine`).

A dead letter never grows past what the broker takes (:data:`MESSAGE_LIMIT`): a message
that would is sent *by reference* — ``dlq_topic``/``dlq_partition``/``dlq_offset`` say where
the original still is (for the topic's retention), the value is cut to its first
:data:`KEPT_PREFIX` bytes and ``dlq_truncated`` (the original size) and ``dlq_sha256`` (of the
whole original value) are added; an oversized key or header set is cut the same way
(:func:`bounded`). So a value the broker accepted at its limit cannot stop the hub.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from streams.runtime.messages import Headers, Message, Outgoing
from streams.runtime.topics import DEADLETTER_TOPIC

__all__ = [
    "KEPT_PREFIX",
    "MESSAGE_LIMIT",
    "Bounded",
    "DeadLetter",
    "bounded",
    "dead_letter",
    "size_of",
]

MESSAGE_LIMIT = 1_000_000
"""Most bytes (key, value and headers) the hub puts in one message for a topic with the
broker's default limit (``message.max.bytes`` 1,048,588), leaving room for the record and
batch overhead and the producer's 1 MiB request limit."""
KEPT_PREFIX = 1024
"""Bytes of an oversized value (or key) kept in a message sent by reference."""
HEADERS_LIMIT = 64 * 1024
"""Original headers larger than this together are dropped from a message sent by reference."""
_RESERVE = 2048
"""Room for the headers a dead letter adds (the reason is cut to 500 characters)."""
_REASON_MAX = 500
_CONSENT_TOPIC = ".ingest.consent.v1"


def size_of(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """An upper estimate of a message's size in a record batch, without batch overhead."""
    body = len(key or b"") + len(value or b"")
    return body + sum(len(k) + len(v) + 10 for k, v in headers) + 32


@dataclass(frozen=True, slots=True)
class Bounded:
    """A message's key, value and headers cut to fit, and what was cut."""

    key: bytes | None
    value: bytes | None
    headers: Headers
    notes: dict[str, str] = field(default_factory=dict)
    """``truncated`` (original value size), ``sha256`` (of the original value), ``key_sha256``,
    ``headers_dropped`` (how many); empty when the message fits whole."""


def bounded(message: Message, limit: int, *, reserve: int = _RESERVE) -> Bounded:
    """``message``'s key, value and headers, cut so that they and ``reserve`` bytes of added
    headers fit in ``limit``; what fits is kept whole."""
    key, value, headers = message.key, message.value, list(message.headers)
    budget = limit - reserve
    if size_of(key, value, headers) <= budget:
        return Bounded(key, value, headers)
    notes: dict[str, str] = {}
    if size_of(None, None, headers) > HEADERS_LIMIT:
        notes["headers_dropped"] = str(len(headers))
        headers = []
    if key is not None and len(key) > KEPT_PREFIX:
        notes["key_sha256"] = hashlib.sha256(key).hexdigest()
        key = key[:KEPT_PREFIX]
    if value is not None and size_of(key, value, headers) > budget:
        notes["truncated"] = str(len(value))
        notes["sha256"] = hashlib.sha256(value).hexdigest()
        value = value[:KEPT_PREFIX]
    return Bounded(key, value, headers, notes)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that is not a valid wijkhub event, and why."""

    message: Message
    reason: str
    consent: bool

    def _bounded(self) -> Bounded:
        return bounded(self.message, MESSAGE_LIMIT)

    @property
    def headers(self) -> Headers:
        """The original headers plus where the message was read and why it failed (and, for
        a message sent by reference, what was cut)."""
        return self._headers(self._bounded())

    def _headers(self, fitted: Bounded) -> Headers:
        return [
            *fitted.headers,
            ("dlq_topic", self.message.topic.encode()),
            ("dlq_partition", str(self.message.partition).encode()),
            ("dlq_offset", str(self.message.offset).encode()),
            ("dlq_reason", self.reason[:_REASON_MAX].encode("utf-8", "replace")),
            *((f"dlq_{name}", text.encode()) for name, text in fitted.notes.items()),
        ]

    def outgoing(self) -> Outgoing:
        """The message to send to ``deadletter.v1`` (by reference when too large)."""
        fitted = self._bounded()
        return Outgoing(DEADLETTER_TOPIC, fitted.key, fitted.value, self._headers(fitted))


def dead_letter(message: Message, reason: str, *, consent: bool = False) -> DeadLetter:
    """A dead letter for ``message``; consent (by topic, or ``consent`` when the caller knows
    the record is one) is marked so callers never drop it."""
    return DeadLetter(message, reason, consent or message.topic.endswith(_CONSENT_TOPIC))
