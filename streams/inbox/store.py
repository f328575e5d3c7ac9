"""The inbox's view store: proposals, retractions and decisions, projected from the topics.

:class:`ProposalStore` is the interface; :class:`SqliteStore` (stdlib ``sqlite3``) the one
implementation. Every change is idempotent — keyed by ``proposal_id`` (proposals,
retractions) or ``decision_id`` (decisions) — and is written in the same transaction as the
Kafka position it came from, so a restart resumes exactly where the store stopped.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, Protocol
from uuid import UUID

from schemas.models import (
    CoordinatorDecision,
    Decision,
    DecisionOutcome,
    JointActionProposal,
    Priority,
    ProposalRetraction,
    RetractionReason,
)
from streams.inbox.errors import InboxConfigError

__all__ = [
    "DecisionView",
    "Position",
    "ProposalDetail",
    "ProposalStore",
    "ProposalSummary",
    "SqliteStore",
    "Visibility",
    "open_store",
]

PRIORITY_RANK = {Priority.URGENT: 4, Priority.HIGH: 3, Priority.NORMAL: 2, Priority.LOW: 1}


class Position(NamedTuple):
    """Where a record was read: its topic, partition and offset."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class Visibility:
    """Which proposals a coordinator may see: their buurten, and those without a buurt."""

    buurten: frozenset[str]
    unassigned: bool = False


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    """A row of the open list."""

    proposal_id: UUID
    buurt_code: str | None
    rule: str
    priority: Priority
    respond_by: date
    created_at: datetime
    domains: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision recorded on a proposal."""

    decision_id: UUID
    decision: Decision
    outcome: DecisionOutcome | None
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class ProposalDetail:
    """A proposal with what became of it."""

    proposal: JointActionProposal
    retraction: RetractionReason | None = None
    decisions: tuple[DecisionView, ...] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        """Neither retracted nor decided."""
        return self.retraction is None and not self.decisions


class ProposalStore(Protocol):
    """What the inbox needs from a view store."""

    def apply_proposal(self, record: JointActionProposal, at: Position | None = None) -> None:
        """Insert or refresh a proposal (idempotent by proposal_id)."""

    def apply_retraction(self, record: ProposalRetraction, at: Position | None = None) -> None:
        """Record a retraction (idempotent by proposal_id; may precede its proposal)."""

    def apply_decision(self, record: CoordinatorDecision, at: Position | None = None) -> None:
        """Record a decision (idempotent by decision_id)."""

    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (topic, partition)."""

    def open_proposals(self, visibility: Visibility) -> list[ProposalSummary]:
        """Open proposals the coordinator may see, most urgent first."""

    def get(self, proposal_id: UUID) -> ProposalDetail | None:
        """One proposal with its retraction and decisions, or ``None``."""

    def close(self) -> None:
        """Release the store."""


_SCHEMA = """
CREATE TABLE IF NOT EXISTS proposals (
    proposal_id TEXT PRIMARY KEY, buurt_code TEXT, priority_rank INTEGER NOT NULL,
    respond_by TEXT NOT NULL, created_at TEXT NOT NULL, payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS proposals_buurt ON proposals (buurt_code);
CREATE TABLE IF NOT EXISTS retractions (
    proposal_id TEXT PRIMARY KEY, reason TEXT NOT NULL, retracted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY, proposal_id TEXT NOT NULL, decision TEXT NOT NULL,
    outcome TEXT, decided_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_proposal ON decisions (proposal_id);
CREATE TABLE IF NOT EXISTS positions (
    topic TEXT NOT NULL, partition INTEGER NOT NULL, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition));
"""


class SqliteStore:
    """:class:`ProposalStore` on SQLite; one connection shared by threads under a lock."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def _write(self, sql: str, params: tuple[object, ...], at: Position | None) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(sql, params)
                if at is not None:
                    self._db.execute(
                        "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT (topic, partition) "
                        "DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)",
                        (at.topic, at.partition, at.offset + 1),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def apply_proposal(self, record: JointActionProposal, at: Position | None = None) -> None:
        """Insert or refresh a proposal (idempotent by proposal_id)."""
        self._write(
            "INSERT INTO proposals VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (proposal_id) DO UPDATE "
            "SET buurt_code = excluded.buurt_code, priority_rank = excluded.priority_rank, "
            "respond_by = excluded.respond_by, created_at = excluded.created_at, "
            "payload = excluded.payload",
            (
                str(record.proposal_id),
                record.buurt_code,
                PRIORITY_RANK[record.priority],
                record.respond_by.isoformat(),
                record.created_at.isoformat(),
                record.model_dump_json(),
            ),
            at,
        )

    def apply_retraction(self, record: ProposalRetraction, at: Position | None = None) -> None:
        """Record a retraction (idempotent by proposal_id; may precede its proposal)."""
        self._write(
            "INSERT OR IGNORE INTO retractions VALUES (?, ?, ?)",
            (str(record.proposal_id), record.reason.value, record.retracted_at.isoformat()),
            at,
        )

    def apply_decision(self, record: CoordinatorDecision, at: Position | None = None) -> None:
        """Record a decision (idempotent by decision_id)."""
        self._write(
            "INSERT OR IGNORE INTO decisions VALUES (?, ?, ?, ?, ?)",
            (
                str(record.decision_id),
                str(record.proposal_id),
                record.decision.value,
                record.outcome.value if record.outcome else None,
                record.decided_at.isoformat(),
            ),
            at,
        )

    def positions(self) -> dict[tuple[str, int], int]:
        """The next offset to read per (topic, partition)."""
        with self._lock:
            rows = self._db.execute("SELECT topic, partition, next_offset FROM positions")
            return {(t, p): o for t, p, o in rows.fetchall()}

    def open_proposals(self, visibility: Visibility) -> list[ProposalSummary]:
        """Open proposals the coordinator may see, most urgent first."""
        buurten = sorted(visibility.buurten)
        marks = ",".join("?" * len(buurten))
        in_buurt = f"p.buurt_code IN ({marks})" if buurten else "0"
        sql = (
            "SELECT p.payload FROM proposals p WHERE "  # noqa: S608 - only "?" are interpolated
            "NOT EXISTS (SELECT 1 FROM retractions r WHERE r.proposal_id = p.proposal_id) AND "
            "NOT EXISTS (SELECT 1 FROM decisions d WHERE d.proposal_id = p.proposal_id) AND "
            f"({in_buurt} OR (p.buurt_code IS NULL AND ?)) "
            "ORDER BY p.priority_rank DESC, p.respond_by ASC, p.created_at ASC, p.proposal_id"
        )
        with self._lock:
            rows = self._db.execute(sql, (*buurten, int(visibility.unassigned))).fetchall()
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
        key = str(proposal_id)
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM proposals WHERE proposal_id = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            retraction = self._db.execute(
                "SELECT reason FROM retractions WHERE proposal_id = ?", (key,)
            ).fetchone()
            decisions = self._db.execute(
                "SELECT decision_id, decision, outcome, decided_at FROM decisions "
                "WHERE proposal_id = ? ORDER BY decided_at",
                (key,),
            ).fetchall()
        return ProposalDetail(
            proposal=JointActionProposal.model_validate_json(row[0]),
            retraction=RetractionReason(retraction[0]) if retraction else None,
            decisions=tuple(
                DecisionView(
                    UUID(d_id),
                    Decision(d),
                    DecisionOutcome(o) if o else None,
                    datetime.fromisoformat(at),
                )
                for d_id, d, o, at in decisions
            ),
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


def open_store(url: str) -> ProposalStore:
    """The store at ``url``: a SQLite path, ``sqlite:///path`` or ``:memory:``."""
    if url.startswith(("postgresql:", "postgres:")):
        where = url.rsplit("@", maxsplit=1)[-1]  # never echo credentials
        raise InboxConfigError(
            f"WIJKHUB_INBOX_STORE=...{where!r}: PostgreSQL is not supported yet; "
            "use a SQLite path (see docs/inbox.md, 'Known gaps')"
        )
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if "://" in path:
        raise InboxConfigError(f"WIJKHUB_INBOX_STORE={url!r} is not a SQLite path or URL")
    return SqliteStore(path)
