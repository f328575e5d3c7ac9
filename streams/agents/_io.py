"""Raw topics and the messages agents yield for their sink to send.

Agents yield :class:`Outbox` values instead of sending themselves: the sink sends them (and
Faust commits the input offset only after the producer flushed them: at-least-once), and
``agent.test_context()`` records them in ``results`` without a broker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RAW", "Outbox", "Outgoing", "send_outbox"]

RAW: dict[str, Any] = {
    "key_type": bytes,
    "value_type": bytes,
    "key_serializer": "raw",
    "value_serializer": "raw",
}
"""Topic options: keys and values are bytes; wijkhub's codec does the encoding."""


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
    records: tuple[Any, ...] = ()
    """The decoded contract records behind ``messages`` (for tests and logs)."""


async def send_outbox(topics: dict[str, Any], outbox: Outbox, *, delivered: bool = False) -> None:
    """Send every message of ``outbox`` to its topic (buffered; flushed before commit).

    With ``delivered``, return only once the broker acknowledged every message (raises if
    one could not be sent), for callers that store state after their outputs.
    """
    pending = [
        await topics[out.topic].send(key=out.key, value=out.value, headers=out.headers)
        for out in outbox.messages
    ]
    if delivered:
        for future in pending:
            await future
