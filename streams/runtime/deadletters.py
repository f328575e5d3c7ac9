"""Dead letters: a message a stage cannot read, sent on with where it was read and why.

Both stages build them here. The dead letter keeps the original key, value and headers and
adds ``dlq_topic``, ``dlq_partition``, ``dlq_offset`` and ``dlq_reason`` headers. Consent
records are marked (:attr:`DeadLetter.consent`) so that a caller never drops one.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.runtime.messages import Headers, Message, Outgoing
from streams.runtime.topics import DEADLETTER_TOPIC

__all__ = ["DeadLetter", "dead_letter"]

_REASON_MAX = 500
_CONSENT_TOPIC = ".ingest.consent.v1"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that is not a valid wijkhub event, and why."""

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

    def outgoing(self) -> Outgoing:
        """The message to send to ``deadletter.v1``."""
        return Outgoing(DEADLETTER_TOPIC, self.message.key, self.message.value, self.headers)


def dead_letter(message: Message, reason: str) -> DeadLetter:
    """A dead letter for ``message``; consent topics are marked so callers never drop them."""
    return DeadLetter(message, reason, message.topic.endswith(_CONSENT_TOPIC))
