"""One batch of household-topic messages through the rule engine: pure, no Kafka.

A batch is processed as a unit: every household's state is read once, the engine runs over
the batch's events in offset order, and what comes out is the outputs to send (proposals,
retractions, feedback, dead letters) and the new state per household that changed — at most
one write per household per batch, however many of its events the batch held (the record
cache of Kafka Streams does the same). The processor sends the outputs, waits until the
broker has them, and only then writes the state (see :mod:`streams.household.processor`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.catalogue import feedback_topic
from schemas.codec import decode_message, encode
from schemas.errors import DecodeError
from schemas.models import (
    CoordinatorDecision,
    HouseholdEvent,
    JointActionProposal,
    PartnerFeedback,
    ProposalRetraction,
)
from streams.rules import (
    Ended,
    Household,
    RuleBook,
    apply_decision,
    apply_event,
    decode_state,
    encode_state,
)
from streams.runtime.deadletters import dead_letter
from streams.runtime.messages import Message, Outgoing
from streams.runtime.topics import PROPOSALS_TOPIC

__all__ = ["Batch", "Record", "process"]


class Record(Protocol):
    """A consumed Kafka message (aiokafka's ``ConsumerRecord``, or :class:`Message`)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...
    @property
    def headers(self) -> Any: ...


@dataclass(slots=True)
class Batch:
    """What one batch produced."""

    outputs: list[Outgoing] = field(default_factory=list)
    """Messages to send before any state is written, in the order they were made."""
    writes: dict[bytes, bytes | None] = field(default_factory=dict)
    """New state per household key that changed; ``None`` deletes (a purge: a tombstone)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    """How many events ended how (``kept``, ``no_consent``, ``deadletter``, ...)."""
    records: list[Any] = field(default_factory=list)
    """The contract records behind the outputs that are not dead letters (tests, metrics)."""
    dead: list[tuple[str, int, int, str]] = field(default_factory=list)
    """(topic, partition, offset, reason) of every dead letter, for the log."""


def _outgoing(record: Any, ce_source: str) -> Outgoing:
    if isinstance(record, JointActionProposal):
        topic, key, at = PROPOSALS_TOPIC, record.hh_ref.encode(), record.created_at
    elif isinstance(record, ProposalRetraction):
        topic, key, at = PROPOSALS_TOPIC, record.hh_ref.encode(), record.retracted_at
    else:
        assert isinstance(record, PartnerFeedback)  # noqa: S101 - the engine emits three kinds
        topic, at = feedback_topic(record.partner), record.sent_at
        key = str(record.feedback_id).encode()
    encoded = encode(record, source=ce_source, time=at)
    return Outgoing(topic, key, encoded.value, encoded.headers)


def _dead(batch: Batch, record: Record, reason: str) -> None:
    batch.outputs.append(dead_letter(Message.of(record), reason).outgoing())
    batch.outcomes["deadletter"] += 1
    batch.dead.append((record.topic, record.partition, record.offset, reason))


def process(
    records: Iterable[Record],
    get: Callable[[bytes], bytes | None],
    book: RuleBook,
    ce_source: str,
) -> Batch:
    """Run ``records`` (household events and decisions) through the engine.

    ``get`` reads a household's stored state (``None``: nothing kept). Nothing is written
    here: the caller stores :attr:`Batch.writes` once :attr:`Batch.outputs` were delivered.
    """
    batch = Batch()
    # key -> (stored bytes, current state); the state object is the engine's to modify
    cache: dict[bytes, tuple[bytes | None, Household | Ended | None]] = {}
    for message in records:
        try:
            record = decode_message(message)
        except DecodeError as exc:
            _dead(batch, message, exc.reason)
            continue
        if not isinstance(record, HouseholdEvent | CoordinatorDecision):
            _dead(batch, message, f"a {type(record).__name__} does not belong here")
            continue
        key = record.hh_ref.encode("ascii")
        found = cache.get(key)
        if found is None:
            raw = get(key)
            found = (raw, decode_state(raw) if raw is not None else None)
        stored, state = found
        step = (
            apply_event(state, record, book)
            if isinstance(record, HouseholdEvent)
            else apply_decision(state, record, book)
        )
        cache[key] = (stored, step.state)
        batch.outcomes[step.outcome] += 1
        for output in step.outputs:
            batch.outputs.append(_outgoing(output, ce_source))
            batch.records.append(output)
    for key, (stored, state) in cache.items():
        new = encode_state(state) if state is not None else None
        if new != stored:
            batch.writes[key] = new
    return batch
