"""What to publish for an export: the snapshot diff, or the delta as it is.

For a snapshot export each row is compared with the previous snapshot of the same source
(DESIGN, 'Correlation semantics'): a new row is *opened*, a changed row *updated*, a row that
vanished *resolved*, and an unchanged row is re-sent as *observed* once ``refresh_days`` have
passed since it was last sent. For a delta export every row is published as it is, unless the
ledger shows it was published before.

Event ids are deterministic: a UUIDv5 of (partner, record, row key, change, content digest)
plus, for snapshots, the state's generation. A re-run before the state was committed (a crash)
computes the same ids, so whatever reached the topic already is recognised.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid5

from connectors.rows import MappedRow, Reject
from connectors.state import RowState, State

__all__ = [
    "EVENT_NAMESPACE",
    "Change",
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
    rows: Iterable[MappedRow], state: State, *, source: str, as_of: date, refresh_days: int
) -> Plan:
    """Diff a snapshot export against the previous snapshot in ``state``."""
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
            )
        )
    for row_key in sorted(set(state.rows) - present):
        before = state.rows[row_key]
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
            )
        )
    return plan


def plan_delta(rows: Iterable[MappedRow], state: State, *, source: str) -> Plan:
    """A delta export: every row not published before (per the ledger) is one event."""
    current, rejects = _dedupe(rows, "content")
    plan = Plan(rejects=rejects)
    for row in current:
        eid = event_id(source, row.row_key, "delta", row.digest)
        if str(eid) in state.ledger:
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
                ch.digest, sealed[ch.event_id], ch.facts, as_of.isoformat(), ch.subject_key
            )
    return rows
