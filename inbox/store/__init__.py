"""The inbox's view store: proposals, retractions and decisions, projected from the topics.

:class:`ProposalStore` is the interface; :class:`SqliteStore` (stdlib ``sqlite3``, the
default) and :class:`PostgresStore` (psycopg 3) implement it with the same SQL
(:mod:`inbox.store._sql`). Every change is idempotent — keyed by ``proposal_id``
(proposals, retractions) or ``decision_id`` (decisions) — and is written in the same
transaction as the Kafka position it came from, so a restart resumes exactly where the store
stopped. :func:`open_store` picks the implementation from the configured URL.
"""

from __future__ import annotations

from pydantic import SecretStr

from inbox.errors import InboxConfigError
from inbox.store._views import (
    DecisionView,
    Position,
    ProposalDetail,
    ProposalStore,
    ProposalSummary,
    Visibility,
)
from inbox.store.postgres import PostgresStore
from inbox.store.sqlite import SqliteStore

__all__ = [
    "DecisionView",
    "Position",
    "PostgresStore",
    "ProposalDetail",
    "ProposalStore",
    "ProposalSummary",
    "SqliteStore",
    "Visibility",
    "open_store",
]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str, *, password: SecretStr | None = None) -> ProposalStore:
    """The store at ``url`` (``WIJKHUB_INBOX_STORE``).

    ``postgresql://`` or ``postgres://`` URLs open a :class:`PostgresStore` (``password``
    from ``WIJKHUB_INBOX_STORE_PASSWORD``); a path, ``sqlite:///path`` or ``:memory:`` a
    :class:`SqliteStore`.
    """
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresStore(url, password=password)
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url
    if "://" in path:
        scheme = url.split("://", maxsplit=1)[0]  # never the rest: it may hold a password
        raise InboxConfigError(
            f"WIJKHUB_INBOX_STORE={scheme}://...: not a store the inbox knows; use a SQLite "
            "path, sqlite:///path, or postgresql://user@host:port/dbname (see docs/inbox.md)"
        )
    return SqliteStore(path)
