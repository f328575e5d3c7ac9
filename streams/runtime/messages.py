"""Messages in and out of a stage: pure values, no Kafka client.

A stage turns each consumed :class:`Message` into an :class:`Outbox` of :class:`Outgoing`
messages; the batch loops (:mod:`streams.runtime.batchloop`) send them and commit the input
offsets once the broker acknowledged them. Tests look at them without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Headers", "Message", "Outbox", "Outgoing"]

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
class Outgoing:
    """One message to send: topic (relative catalogue name), key, value, headers, and the
    partition when the sender chooses it (``None``: by key, the producer's partitioner)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default_factory=list)
    partition: int | None = None


@dataclass(frozen=True, slots=True)
class Outbox:
    """What a stage produced for one input message, and a word for how it ended."""

    outcome: str
    messages: tuple[Outgoing, ...] = ()
