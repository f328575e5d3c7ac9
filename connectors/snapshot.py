"""What to publish for an export: the snapshot diff, or the delta as it is.

For a snapshot export each row is compared with the previous snapshot of the same source
(DESIGN, 'Correlation semantics'): a new row is *opened*, a changed row *updated*, a row that
vanished *resolved*, and an unchanged row is re-sent as *observed* once ``refresh_days`` have
passed since it was last sent. For a delta export every row is published as it is, unless the
ledger shows it was published before.

A rejected row whose key is still known (its address or its row-key columns read fine) is
*held*: its previous event stands, it is not resolved. A row vanishes only when it is absent.

Event ids are deterministic: a UUIDv5 of (partner, record, row key, change, content digest)
plus, for snapshots, the state's generation. A delta row's digest covers its ``occurred_at``
(the registration date), so the same row exported twice is one event and a re-registration is
a new one. A re-run before the state was committed (a crash) computes the same ids, so
whatever reached the topic already is recognised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid5

from connectors.rows import MappedRow, Reject, facts_digest
from connectors.state import RowState, State

__all__ = [
    "EVENT_NAMESPACE",
    "Change",
    "Held",
    "Plan",
    "event_id",
    "next_rows",
    "plan_delta",
    "plan_snapshot",
]

EVENT_NAMESPACE = UUID("5b0f5f0e-8d4c-5a43-9a8e-3c0d1f6a7b21")
ChangeKind = Literal["opened", "updated", "resolved", "observed", "delta"]


def event_id(*parts: str) -> UUID:
    """The deterministic event id of a change."""
    return uuid5(EVENT_NAMESPACE, "\x1f".join(parts))


@dataclass(frozen=True, slots=True)
class Change:
    """One event to publish. ``canonical_id`` is set for rows present in this export; a
    resolved row carries the ``sealed`` subject stored with the previous snapshot instead."""

    kind: ChangeKind
    event_id: UUID
    row_key: str
    facts: dict[str, Any]
    digest: str
    canonical_id: bytes | None = field(default=None, repr=False)
    sealed: str | None = None
    occurred_at: datetime | None = None
    subject_key: str = ""
    """The Kafka key: the household's partner-local keyed hash (see ``MappedRow``)."""
    column_key: str = ""

    @property
    def kafka_key(self) -> bytes:
        """Key of the message: per household, so its events keep their order."""
        return (self.subject_key or self.row_key).encode()


@dataclass(slots=True)
class Plan:
    """The events to publish, and what was left out and why."""

    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    rejects: list[Reject] = field(default_factory=list)
    held: int = 0
    """Rows of the previous snapshot kept as they were because this export's row was rejected."""


@dataclass(frozen=True, slots=True)
class Held:
    """The keys of an export's rejected rows, as far as they could be derived."""

    row_keys: frozenset[str] = frozenset()
    column_keys: frozenset[str] = frozenset()

    @classmethod
    def of(cls, rejects: Iterable[Reject]) -> Held:
        """The keys of ``rejects``."""
        rejects = list(rejects)
        return cls(
            frozenset(r.row_key for r in rejects if r.row_key),
            frozenset(r.column_key for r in rejects if r.column_key),
        )

    def holds(self, row_key: str, before: RowState) -> bool:
        """Whether the previous snapshot's row ``row_key`` was rejected in this export."""
        return row_key in self.row_keys or bool(before.column_key in self.column_keys)


def _dedupe(rows: Iterable[MappedRow], key: str) -> tuple[list[MappedRow], list[Reject]]:
    seen: dict[str, int] = {}
    kept: list[MappedRow] = []
    rejects: list[Reject] = []
    for row in rows:
        k = row.row_key if key == "row" else row.digest + row.row_key
        if k in seen:
            rejects.append(Reject(row.line, "<row>", f"duplicate of line {seen[k]} (same row key)"))
            continue
        seen[k] = row.line
        kept.append(row)
    return kept, rejects


def plan_snapshot(
    rows: Iterable[MappedRow],
    state: State,
    *,
    source: str,
    as_of: date,
    refresh_days: int,
    held: Held | None = None,
) -> Plan:
    """Diff a snapshot export against the previous snapshot in ``state``; rows ``held``
    (rejected in this export) are neither resolved nor changed."""
    current, rejects = _dedupe(rows, "row")
    plan = Plan(rejects=rejects)
    gen = str(state.generation)

    def change(kind: ChangeKind, row_key: str, digest: str) -> UUID:
        return event_id(source, row_key, kind, digest, gen)

    present = set()
    for row in current:
        present.add(row.row_key)
        before = state.rows.get(row.row_key)
        if before is None:
            kind: ChangeKind = "opened"
        elif before.digest != row.digest:
            kind = "updated"
        elif (as_of - date.fromisoformat(before.last_sent)).days >= refresh_days:
            kind = "observed"
        else:
            plan.unchanged += 1
            continue
        eid = change(kind, row.row_key, row.digest)
        plan.changes.append(
            Change(
                kind,
                eid,
                row.row_key,
                row.facts,
                row.digest,
                canonical_id=row.canonical_id,
                subject_key=row.subject_key,
                column_key=row.column_key,
            )
        )
    for row_key in sorted(set(state.rows) - present):
        before = state.rows[row_key]
        if held is not None and held.holds(row_key, before):
            plan.held += 1
            continue
        eid = change("resolved", row_key, before.digest)
        plan.changes.append(
            Change(
                "resolved",
                eid,
                row_key,
                before.facts,
                before.digest,
                sealed=before.sealed,
                subject_key=before.subject_key,
                column_key=before.column_key,
            )
        )
    return plan


def plan_delta(rows: Iterable[MappedRow], state: State, *, source: str) -> Plan:
    """A delta export: every row not published before (per the ledger) is one event."""
    current, rejects = _dedupe(rows, "content")
    plan = Plan(rejects=rejects)
    for row in current:
        eid = event_id(source, row.row_key, "delta", row.digest)
        if str(eid) in state.ledger or _published_before_v2(row, state, source):
            plan.unchanged += 1
            continue
        plan.changes.append(
            Change(
                "delta",
                eid,
                row.row_key,
                row.facts,
                row.digest,
                canonical_id=row.canonical_id,
                occurred_at=row.occurred_at,
                subject_key=row.subject_key,
            )
        )
    return plan


def _published_before_v2(row: MappedRow, state: State, source: str) -> bool:
    """Whether a state written before delta ids covered occurred_at published this row: its
    old id (facts only) is in the legacy ledger, from a run no earlier than the row's date."""
    if not state.legacy_ledger:
        return False
    old = str(event_id(source, row.row_key, "delta", facts_digest(row.facts)))
    published = state.legacy_ledger.get(old)
    if published is None:
        return False
    return row.occurred_at is None or row.occurred_at.date().isoformat() <= published


def next_rows(
    state: State, plan: Plan, sealed: dict[UUID, str], as_of: date
) -> dict[str, RowState]:
    """The snapshot to remember once every change in ``plan`` is delivered."""
    rows = dict(state.rows)
    for ch in plan.changes:
        if ch.kind == "resolved":
            rows.pop(ch.row_key, None)
        elif ch.kind != "delta":
            rows[ch.row_key] = RowState(
                ch.digest,
                sealed[ch.event_id],
                ch.facts,
                as_of.isoformat(),
                ch.subject_key,
                ch.column_key,
            )
    return rows
