"""What a stage makes of one input message: the messages to send (pure values, no Kafka).

The batch loops (:mod:`streams.batchloop`) send them and commit the input offsets once the
broker acknowledged them; tests look at them without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Outbox", "Outgoing"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: topic (relative catalogue name), key, value, headers."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Outbox:
    """What an agent produced for one input message."""

    outcome: str
    messages: tuple[Outgoing, ...] = ()
