"""Household agent: consent gate, signal state, rules, proposals, decisions, feedback.

Reads ``household-events.v1`` and ``decisions.v1`` (both keyed by ``hh_ref`` and
co-partitioned), keeps one compact entry per consenting household in the ``households``
table, and runs the pure rule engine (:mod:`streams.rules`) on every event. Proposals and
retractions go to ``proposals.v1``, feedback to ``feedback.<partner>.v1``. A purge deletes
the entry, which writes a tombstone to the compacted changelog.

Outputs before state: the sink waits until the broker acknowledged an event's outputs, and
only then is the new state written. RocksDB keeps a write at once, before the input offset
is committed, so after a SIGKILL the state may be ahead of the offsets; the events replayed
then are duplicates for the engine and emit nothing. Writing the state last makes sure their
outputs were delivered the first time (otherwise a proposal could be lost for good).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.catalogue import feedback_topic, topic_spec
from schemas.codec import decode_message, encode
from schemas.errors import DecodeError
from schemas.logging import get_logger
from schemas.models import (
    CoordinatorDecision,
    HouseholdEvent,
    JointActionProposal,
    Partner,
    PartnerFeedback,
    ProposalRetraction,
)
from schemas.settings import KafkaSettings
from streams.agents._io import RAW, Outbox, Outgoing, send_outbox
from streams.agents._metrics import Metrics
from streams.agents.ingress import DEADLETTER_TOPIC, HOUSEHOLD_TOPIC
from streams.ingress import Message, dead_letter
from streams.rules import RuleBook, Step, apply_decision, apply_event, decode_state, encode_state

__all__ = ["DECISIONS_TOPIC", "PROPOSALS_TOPIC", "TABLE", "handle", "register"]

DECISIONS_TOPIC = "decisions.v1"
PROPOSALS_TOPIC = "proposals.v1"
TABLE = "households"

log = get_logger(__name__)


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


def _nothing() -> None:
    return None


def handle(
    table: Any, message: Message, book: RuleBook, ce_source: str
) -> tuple[Outbox, Callable[[], None]]:
    """Process one message of the household or decisions topic against ``table``.

    Returns the outbox and the function that stores the new state: call it once the outbox
    was delivered (see the module's docstring).
    """
    try:
        record = decode_message(message)
    except DecodeError as exc:
        letter = dead_letter(message, exc.reason)
        return Outbox("deadletter", (Outgoing(DEADLETTER_TOPIC, message.key, message.value,
                                              letter.headers),)), _nothing  # fmt: skip
    if not isinstance(record, HouseholdEvent | CoordinatorDecision):
        letter = dead_letter(message, f"a {type(record).__name__} does not belong here")
        return Outbox("deadletter", (Outgoing(DEADLETTER_TOPIC, message.key, message.value,
                                              letter.headers),)), _nothing  # fmt: skip
    key = record.hh_ref.encode("ascii")
    raw = table.get(key)
    state = decode_state(raw) if raw is not None else None
    step: Step = (
        apply_event(state, record, book)
        if isinstance(record, HouseholdEvent)
        else apply_decision(state, record, book)
    )
    new = encode_state(step.state) if step.state is not None else None

    def store() -> None:
        if new is None and raw is not None:
            del table[key]  # purge: a tombstone in the changelog
        elif new is not None and new != raw:
            table[key] = new

    messages = tuple(_outgoing(r, ce_source) for r in step.outputs)
    return Outbox(step.outcome, messages, step.outputs), store


def register(
    app: Any, kafka: KafkaSettings, book: RuleBook, ce_source: str, metrics: Metrics
) -> Any:
    """Add the household agent and its table to ``app``; returns the agent."""
    partitions = topic_spec(HOUSEHOLD_TOPIC).partitions
    source = app.topic(kafka.topic(HOUSEHOLD_TOPIC), kafka.topic(DECISIONS_TOPIC), **RAW)
    table = app.Table(TABLE, partitions=partitions, key_type=bytes, value_type=bytes)
    # Faust derives "json" from bytes types; the state is already compact bytes (state.py)
    table.key_serializer = table.value_serializer = "raw"
    names = [PROPOSALS_TOPIC, DEADLETTER_TOPIC, *(feedback_topic(p) for p in Partner)]
    outputs = {name: app.topic(kafka.topic(name), **RAW) for name in names}

    async def sink(outbox: Outbox) -> None:
        await send_outbox(outputs, outbox, delivered=True)

    @app.agent(source, name="household", sink=[sink])
    async def household(stream: Any) -> Any:
        async for event in stream.events():
            msg = event.message
            headers = event.headers or []
            items = headers.items() if isinstance(headers, dict) else headers
            message = Message(
                msg.topic, msg.partition, msg.offset, event.key, event.value,
                [(str(k), bytes(v or b"")) for k, v in items],
            )  # fmt: skip
            outbox, store = handle(table, message, book, ce_source)
            metrics.count(f"household.{outbox.outcome}")
            for record in outbox.records:
                metrics.count(f"out.{type(record).__name__}")
            if outbox.outcome == "deadletter":
                log.error("household message dead-lettered", topic=msg.topic,
                          partition=msg.partition, offset=msg.offset)  # fmt: skip
            yield outbox  # the sink returns once the broker acknowledged every output
            store()

    household.table = table
    return household
