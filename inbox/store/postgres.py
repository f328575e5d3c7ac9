"""The view store on PostgreSQL, through psycopg 3 (in ``wijkhub[inbox]``).

The URL is libpq's (``postgresql://user@host:port/dbname?sslmode=verify-full``) and never
holds the password: that comes from ``WIJKHUB_INBOX_STORE_PASSWORD``, ``PGPASSWORD`` or
``~/.pgpass``. The tables go into the first schema on the ``search_path``; give the inbox a
database or schema of its own (``?options=-csearch_path%3Dinbox``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import SecretStr

from inbox.errors import InboxConfigError, StoreUnavailableError
from inbox.store._sql import Execute, SqlStore
from schemas.logging import get_logger

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore"]

T = TypeVar("T")
_log = get_logger(__name__)
_SCHEMA_LOCK = 0x77696A6B  # pg_advisory_xact_lock key: one inbox at a time creates the tables
_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"


@cache
def _pg(sql: str) -> str:
    """The shared statements use ``?``; psycopg wants ``%s`` (none contains ``?`` or ``%``)."""
    return sql.replace("?", "%s")


def _where(params: dict[str, Any]) -> str:
    """Host, port and database of a connection: enough to find it, never a secret."""
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return f"postgresql://{host}:{params.get('port') or 5432}/{params.get('dbname') or ''}"


class PostgresStore(SqlStore):
    """:class:`~inbox.store.ProposalStore` on PostgreSQL; one connection under a lock.

    Each change and its Kafka position are one transaction. When the connection breaks
    (server restart, failover, an idle timeout) the store reconnects once and repeats the
    work; that is safe because every write is idempotent.
    """

    TYPES: ClassVar[dict[str, str]] = {
        "uuid": "UUID",
        "date": "DATE",
        "ts": "TIMESTAMPTZ",
        "offset": "BIGINT",
    }
    GREATEST: ClassVar[str] = "GREATEST"

    def __init__(
        self, url: str, *, password: SecretStr | None = None, connect_timeout: int = 10
    ) -> None:
        try:
            import psycopg
            from psycopg.conninfo import conninfo_to_dict
        except ImportError as exc:
            raise InboxConfigError(
                "a postgresql:// inbox store needs psycopg: pip install 'wijkhub[inbox]'"
            ) from exc
        self._psycopg = psycopg
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            raise InboxConfigError(  # the URL may hold a secret: not echoed
                "WIJKHUB_INBOX_STORE is not a valid PostgreSQL URL; expected "
                "postgresql://user@host:port/dbname (see docs/inbox.md)"
            ) from None
        self.where = _where(params)
        """Where the store is, for messages and logs (no user, no password)."""
        if params.get("password"):
            raise InboxConfigError(
                f"WIJKHUB_INBOX_STORE=...{self.where!r} has a password in it; put the "
                "password in WIJKHUB_INBOX_STORE_PASSWORD (or PGPASSWORD, ~/.pgpass) instead"
            )
        self._url = url
        self._extra: dict[str, Any] = {
            "connect_timeout": params.get("connect_timeout") or connect_timeout,
            "application_name": params.get("application_name") or "wijkhub-inbox",
        }
        if password is not None:
            self._extra["password"] = password.get_secret_value()
        self._lock = threading.Lock()
        self._conn = self._connect()
        with self._lock, self._conn.transaction():
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self._conn.execute(self.schema())

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            return self._psycopg.connect(self._url, autocommit=True, **self._extra)
        except self._psycopg.OperationalError as exc:
            raise StoreUnavailableError(
                f"the inbox store at {self.where} cannot be reached: {exc}".rstrip()
                + "; check WIJKHUB_INBOX_STORE, the password and that the server runs"
            ) from None

    def _run(self, work: Callable[[Execute], T], *, write: bool) -> T:
        psycopg = self._psycopg
        with self._lock:
            for attempt in (1, 2):
                if self._conn.closed:
                    self._conn = self._connect()
                conn = self._conn

                def execute(sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
                    cursor = conn.execute(_pg(sql), params)  # noqa: B023 - used at once
                    return cursor.fetchall() if cursor.description else []

                try:
                    with conn.transaction():
                        if not write:
                            conn.execute(_READ)
                        return work(execute)
                except psycopg.OperationalError as exc:
                    if not conn.broken:
                        raise
                    if attempt == 2:
                        raise StoreUnavailableError(
                            f"the inbox store at {self.where} broke off twice: {exc}"
                        ) from exc
                    _log.warning("inbox store reconnecting", where=self.where)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
