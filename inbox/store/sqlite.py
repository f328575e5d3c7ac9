"""The view store on SQLite (stdlib ``sqlite3``): a file, or ``:memory:`` in tests."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from inbox.store._sql import Execute, SqlStore, as_text

__all__ = ["SqliteStore"]

T = TypeVar("T")


class SqliteStore(SqlStore):
    """:class:`~inbox.store.ProposalStore` on SQLite; one connection under a lock.

    Everything is stored as text (timestamps ISO in UTC), as in the first version of the
    file, so existing stores open unchanged.
    """

    TYPES: ClassVar[dict[str, str]] = {
        "uuid": "TEXT",
        "date": "TEXT",
        "ts": "TEXT",
        "offset": "INTEGER",
    }
    GREATEST: ClassVar[str] = "MAX"

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(self.schema())

    def _adapt(self, value: object) -> object:
        return as_text(value)

    def _execute(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        return self._db.execute(sql, params).fetchall()

    def _run(self, work: Callable[[Execute], T], *, write: bool) -> T:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = work(self._execute)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
