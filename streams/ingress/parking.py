"""What the ingress does with each message: forward, dead-letter, park, hold or re-drive (pure).

A consent record the hub cannot read is never dropped and never dead-lettered: it is
*parked* on ``quarantine.v1`` (:mod:`streams.quarantine.records`) and the ingress goes on
with the next message. It fails closed for what it concerns — its *hold*:

* the household, when the sealed identifier still opens (``hh:<hh_ref>``): every later record
  of that household, from any partner, is parked behind it (*held*) instead of forwarded;
* else the partner's subject key on that topic (``key:…``): later records with that key;
* else nothing can be held: the record is parked and raised, and nothing else waits.

An operator then releases (the ingress reads it back and processes it again) or discards it
(``wijkhub quarantine``). When a parked record ends — forwarded after a release, or discarded
— what it held is re-driven in the order it was parked, before the end is written, so a
household's events keep their order. Messages read from ``quarantine.v1`` come through
:meth:`Parking.quarantined`; the decisions use the :class:`QuarantineView` at once, so the
next message of the same batch already sees a hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schemas.logging import get_logger
from streams.ingress.identify import household_of
from streams.ingress.keys import HubKeys
from streams.ingress.pseudonymise import Forward, pseudonymise
from streams.quarantine.records import Entry, hold_key_of, park, parse
from streams.quarantine.view import QuarantineView
from streams.runtime.deadletters import DeadLetter
from streams.runtime.messages import Message, Outgoing
from streams.runtime.topics import HOUSEHOLD_TOPIC

__all__ = ["Parking", "Plan"]

log = get_logger(__name__)

Written = tuple[Outgoing, Entry | None]


@dataclass(slots=True)
class Plan:
    """What a batch sends: ``first``, then (once acknowledged) ``last`` — the end of a parked
    record that held others, written after what it held was forwarded."""

    first: list[Written] = field(default_factory=list)
    last: list[Written] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


class Parking:
    """The ingress's decisions for one batch after another; see the module docstring."""

    def __init__(self, keys: HubKeys, ce_source: str, view: QuarantineView, partitions: int,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:  # fmt: skip
        self.keys, self.ce_source, self.view = keys, ce_source, view
        self.partitions, self.clock = partitions, clock
        self.plan = Plan()

    def take(self) -> Plan:
        """The plan so far, and start a new one."""
        plan, self.plan = self.plan, Plan()
        return plan

    # -- an ingest message ---------------------------------------------------------------

    def ingest(self, message: Message) -> str:
        """Decide what happens to one ingest message; returns its outcome word."""
        where = _where(message)
        result = pseudonymise(message, self.keys, ce_source=self.ce_source)
        if isinstance(result, DeadLetter):
            if result.consent:
                return self._park_unreadable(message, result.reason, where)
            log.warning("ingest message dead-lettered", topic=message.topic,
                        partition=message.partition, offset=message.offset,
                        reason=result.reason)  # fmt: skip
            return self._emit(result.outgoing(), "deadletter")
        head = self._head_for(message, result)
        if head is not None:
            return self._hold(message, result, head, where)
        outcome = "consent" if result.consent else "signal"
        return self._emit(_forward(result), outcome)

    # -- a message read back from quarantine.v1 --------------------------------------------

    def quarantined(self, message: Message) -> str:
        """Act on one message of ``quarantine.v1`` (the group's share of it)."""
        entry = parse(message)
        if entry is None:
            log.warning("not a parked record; ignored", topic=message.topic,
                        partition=message.partition, offset=message.offset)  # fmt: skip
            return self._count("quarantine.unreadable")
        if self.view.newer_than(entry.id, message.offset):
            return self._count("quarantine.seen")  # acted on already (a replay)
        self.view.apply(entry)
        where = _where(message)
        if entry.state == "released":
            return self._redrive(entry, where)
        if entry.state == "discarding":
            return self._end(entry, "discarded", where, outcome="discarded")
        if entry.state == "parked" and entry.held_by is not None:
            head = self.view.get(entry.held_by)
            if head is None or not head.open:  # its head ended before it was parked
                return self._redrive(entry, where)
        if entry.state in {"resolved", "discarded"} and self.view.followers(entry.id):
            self._redrive_followers(entry.id, where)  # ended before its followers were done
        return self._count("quarantine.seen")

    # -- parking -------------------------------------------------------------------------

    def _park_unreadable(self, message: Message, reason: str, where: str,
                         entry: Entry | None = None) -> str:  # fmt: skip
        hh_ref = household_of(message.value, self.keys)
        hold = hold_key_of(hh_ref=hh_ref, topic=message.topic, key=message.key)
        head = self.view.holding([hold], exclude=entry.id if entry else None)
        parked = park(
            message, reason, at=self.clock(), partitions=self.partitions, read_from=where,
            hh_ref=hh_ref, hold=None if head else hold, held_by=head.id if head else None,
            partition=_partition(entry, head),
            attempt=entry.attempt + 1 if entry else 1,
        )  # fmt: skip
        self._write(parked)
        log.error(
            "consent record parked: the hub cannot read it",
            quarantine_id=parked.id, topic=message.topic, partition=message.partition,
            offset=message.offset, reason=reason, attempt=parked.attempt,
            holds=_holds(parked), held_by=parked.held_by,
            action=f"fix the cause, then `wijkhub quarantine release {parked.id}` (or discard)",
        )  # fmt: skip
        return self._count("reparked" if entry else "parked")

    def _head_for(self, message: Message, result: Forward) -> Entry | None:
        holds = [f"hh:{result.key.decode()}", hold_key_of(hh_ref=None, topic=message.topic,
                                                          key=message.key)]  # fmt: skip
        return self.view.holding(holds)

    def _hold(self, message: Message, result: Forward, head: Entry, where: str,
              entry: Entry | None = None) -> str:  # fmt: skip
        parked = park(
            message, f"held behind parked record {head.id}", at=self.clock(),
            partitions=self.partitions, read_from=where, hh_ref=result.key.decode(),
            held_by=head.id, partition=_partition(entry, head),
            attempt=entry.attempt + 1 if entry else 1,
        )  # fmt: skip
        self._write(parked)
        log.info("record held behind a parked consent record", quarantine_id=parked.id,
                 held_by=head.id, topic=message.topic, partition=message.partition,
                 offset=message.offset)  # fmt: skip
        return self._count("held")

    # -- re-driving and ending -----------------------------------------------------------

    def _redrive(self, entry: Entry, where: str) -> str:
        message = entry.origin.message
        if entry.origin.truncated:  # parked by reference: there is nothing whole to re-drive
            again = entry.at_state("parked", at=self.clock(), reason="parked by reference "
                                   f"({entry.origin.size} bytes); discard it")  # fmt: skip
            self._write(again)
            return self._count("reparked")
        result = pseudonymise(message, self.keys, ce_source=self.ce_source)
        if isinstance(result, DeadLetter):
            if result.consent:
                return self._park_unreadable(message, result.reason, where, entry)
            self._emit(result.outgoing(), "deadletter")
            self._end(entry, "resolved", where, outcome="deadletter")
            return "deadletter"
        head = self.view.holding(
            [f"hh:{result.key.decode()}", hold_key_of(hh_ref=None, topic=message.topic,
                                                      key=message.key)], exclude=entry.id,
        )  # fmt: skip
        if head is not None:
            return self._hold(message, result, head, where, entry)
        self._emit(_forward(result), "redriven")
        self._end(entry, "resolved", where, outcome="forwarded")
        log.info("parked record re-driven", quarantine_id=entry.id, topic=message.topic,
                 partition=message.partition, offset=message.offset)  # fmt: skip
        return "redriven"

    def _end(self, entry: Entry, state: str, where: str, *, outcome: str) -> str:
        """Write the end of ``entry`` after re-driving what it held."""
        final = entry.at_state(state, at=self.clock(), actor=entry.actor, outcome=outcome)
        self.view.apply(final)  # holds lift now, for what follows in this batch
        followers = self._redrive_followers(entry.id, where)
        written = (final.outgoing(), final)
        (self.plan.last if followers else self.plan.first).append(written)
        return self._count(state)

    def _redrive_followers(self, head: str, where: str) -> int:
        followers = self.view.followers(head)
        for follower in followers:
            self._redrive(follower, where)
        return len(followers)

    # -- output --------------------------------------------------------------------------

    def _write(self, entry: Entry) -> None:
        self.view.apply(entry)
        self.plan.first.append((entry.outgoing(), entry))

    def _emit(self, out: Outgoing, outcome: str) -> str:
        self.plan.first.append((out, None))
        return self._count(outcome)

    def _count(self, outcome: str) -> str:
        self.plan.outcomes[outcome] += 1
        return outcome


def _forward(result: Forward) -> Outgoing:
    return Outgoing(HOUSEHOLD_TOPIC, result.key, result.value, result.headers)


def _where(message: Message) -> str:
    return f"{message.topic}:{message.partition}:{message.offset}"


def _partition(entry: Entry | None, head: Entry | None) -> int | None:
    """A record keeps the partition it was first parked in (its states must stay in order on
    one partition); a new one goes to its head's, else it is routed by its hold."""
    if entry is not None:
        return entry.partition
    return head.partition if head is not None else None


def _holds(entry: Entry) -> str:
    if entry.held_by:
        return "nothing (it waits behind another)"
    if entry.hold:
        return "its household" if entry.hold.startswith("hh:") else "its subject key"
    return "nothing (the hub cannot tell whom it concerns)"
