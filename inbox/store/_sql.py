"""The SQL that the SQLite and PostgreSQL stores share.

:class:`SqlStore` holds every statement once, written with ``?`` placeholders; a subclass
brings the connection (:meth:`SqlStore._run`), its column types (:attr:`SqlStore.TYPES`) and
how values go in (:meth:`SqlStore._adapt`). Both dialects read back through the same code,
so the two cannot drift apart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from inbox.store._views import (
    PRIORITY_RANK,
    DecisionView,
    Position,
    ProposalDetail,
    ProposalSummary,
    Visibility,
)
from schemas.models import (
    CoordinatorDecision,
    Decision,
    DecisionOutcome,
    JointActionProposal,
    ProposalRetraction,
    RetractionReason,
)

__all__ = ["Execute", "SqlStore"]

T = TypeVar("T")
Execute = Callable[[str, Sequence[object]], list[tuple[Any, ...]]]
"""Runs one statement with its parameters and returns its rows (none for a write)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    proposal_id {uuid} PRIMARY KEY, buurt_code TEXT, priority_rank INTEGER NOT NULL,
    respond_by {date} NOT NULL, created_at {ts} NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS proposals_buurt ON proposals (buurt_code);
CREATE TABLE IF NOT EXISTS retractions (
    proposal_id {uuid} PRIMARY KEY, reason TEXT NOT NULL, retracted_at {ts} NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id {uuid} PRIMARY KEY, proposal_id {uuid} NOT NULL, decision TEXT NOT NULL,
    outcome TEXT, decided_at {ts} NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_proposal ON decisions (proposal_id);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset {offset} NOT NULL,
    PRIMARY KEY (topic, partition));
"""
"""The tables, with the column types a dialect fills in (:attr:`SqlStore.TYPES`)."""

_UPSERT_PROPOSAL = (
    "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (proposal_id) DO UPDATE "
    "SET buurt_code = excluded.buurt_code, priority_rank = excluded.priority_rank, "
    "respond_by = excluded.respond_by, created_at = excluded.created_at, "
    "payload = excluded.payload"
)
_INSERT_RETRACTION = "INSERT INTO retractions VALUES (?, ?, ?) ON CONFLICT (proposal_id) DO NOTHING"
_INSERT_DECISION = (
    "INSERT INTO decisions VALUES (?, ?, ?, ?, ?) ON CONFLICT (decision_id) DO NOTHING"
)
_ADVANCE_POSITION = (
    "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT (topic, partition) DO UPDATE "
    "SET next_offset = {greatest}(positions.next_offset, excluded.next_offset)"
)
_OPEN = (
    "SELECT p.payload FROM proposals p WHERE "
    "NOT EXISTS (SELECT 1 FROM retractions r WHERE r.proposal_id = p.proposal_id) AND "
    "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.proposal_id = p.proposal_id) AND "
    "({in_buurt} OR (p.buurt_code IS NULL AND ?)) "
    "ORDER BY p.priority_rank DESC, p.respond_by ASC, p.created_at ASC, p.proposal_id"
)


class SqlStore(ABC):
    """:class:`~inbox.store.ProposalStore` in SQL; subclasses bring the database."""

    TYPES: ClassVar[dict[str, str]]
    """Column types for :data:`SCHEMA`: ``uuid``, ``date``, ``ts``, ``offset``."""
    GREATEST: ClassVar[str]
    """The dialect's two-argument maximum (``MAX`` in SQLite, ``GREATEST`` in PostgreSQL)."""

    @classmethod
    def schema(cls) -> str:
        """The DDL of this dialect."""
        return SCHEMA.format(**cls.TYPES)

    @abstractmethod
    def _run(self, work: Callable[[Execute], T], *, write: bool) -> T:
        """Run ``work`` in one transaction (a read-only one unless ``write``)."""

    def _adapt(self, value: object) -> object:
        """A parameter as the driver takes it; the default passes it through."""
        return value

    def _write(self, sql: str, params: tuple[object, ...], at: Position | None) -> None:
        change = tuple(self._adapt(v) for v in params)
        advance = _ADVANCE_POSITION.format(greatest=self.GREATEST)

        def work(execute: Execute) -> None:
            execute(sql, change)
            if at is not None:
                execute(advance, (at.topic, at.partition, at.offset + 1))

        self._run(work, write=True)

    def apply_proposal(self, record: JointActionProposal, at: Position | None = None) -> None:
        """Insert or refresh a proposal (idempotent by proposal_id)."""
        self._write(
            _UPSERT_PROPOSAL,
            (
                record.proposal_id,
                record.buurt_code,
                PRIORITY_RANK[record.priority],
                record.respond_by,
                record.created_at,
                record.model_dump_json(),
            ),
            at,
        )

    def apply_retraction(self, record: ProposalRetraction, at: Position | None = None) -> None:
        """Record a retraction (idempotent by proposal_id; may precede its proposal)."""
        self._write(
            _INSERT_RETRACTION, (record.proposal_id, record.reason.value, record.retracted_at), at
        )

    def apply_decision(self, record: CoordinatorDecision, at: Position | None = None) -> None:
        """Record a decision (idempotent by decision_id)."""
        self._write(
            _INSERT_DECISION,
            (
                record.decision_id,
                record.proposal_id,
                record.decision.value,
                record.outcome.value if record.outcome else None,
                record.decided_at,
            ),
            at,
        )

    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (topic, partition)."""
        rows = self._run(
            lambda ex: ex("SELECT topic, partition, next_offset FROM positions", ()), write=False
        )
        return {(t, p): o for t, p, o in rows}

    def open_proposals(self, visibility: Visibility) -> list[ProposalSummary]:
        """Open proposals the coordinator may see, most urgent first."""
        buurten = sorted(visibility.buurten)
        marks = ",".join("?" * len(buurten))
        in_buurt = f"p.buurt_code IN ({marks})" if buurten else "1 = 0"
        sql = _OPEN.format(in_buurt=in_buurt)  # only "?" are interpolated
        params = (*buurten, visibility.unassigned)
        rows = self._run(lambda ex: ex(sql, params), write=False)
        result = []
        for (payload,) in rows:
            p = JointActionProposal.model_validate_json(payload)
            result.append(
                ProposalSummary(
                    p.proposal_id,
                    p.buurt_code,
                    p.rule,
                    p.priority,
                    p.respond_by,
                    p.created_at,
                    tuple(d.value for d in p.domains),
                )
            )
        return result

    def get(self, proposal_id: UUID) -> ProposalDetail | None:
        """One proposal with its retraction and decisions, or ``None``."""
        key = (self._adapt(proposal_id),)

        def work(ex: Execute) -> tuple[list[Any], list[Any], list[Any]]:
            row = ex("SELECT payload FROM proposals WHERE proposal_id = ?", key)
            if not row:
                return [], [], []
            retraction = ex("SELECT reason FROM retractions WHERE proposal_id = ?", key)
            decisions = ex(
                "SELECT decision_id, decision, outcome, decided_at FROM decisions "
                "WHERE proposal_id = ? ORDER BY decided_at, decision_id",
                key,
            )
            return row, retraction, decisions

        row, retraction, decisions = self._run(work, write=False)
        if not row:
            return None
        return ProposalDetail(
            proposal=JointActionProposal.model_validate_json(row[0][0]),
            retraction=RetractionReason(retraction[0][0]) if retraction else None,
            decisions=tuple(
                DecisionView(
                    d_id if isinstance(d_id, UUID) else UUID(d_id),
                    Decision(d),
                    DecisionOutcome(o) if o else None,
                    _utc(at),
                )
                for d_id, d, o, at in decisions
            ),
        )


def _utc(value: datetime | str) -> datetime:
    """A stored timestamp (a ``datetime`` or ISO text) as an aware datetime in UTC."""
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed.astimezone(UTC)


def as_text(value: object) -> object:
    """For a text-only database: UUIDs as text, dates ISO, timestamps ISO in UTC.

    Timestamps are stored in UTC so that sorting the text sorts by time.
    """
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
