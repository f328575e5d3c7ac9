"""The connector's state at the partner: previous snapshot, delta ledger, in-flight run.

One JSON file per (partner id, record) in the state directory, replaced atomically and checked
(:mod:`connectors._atomic`: write every byte, fsync, compare the size, rename, fsync the
directory), so a crash or a full disk leaves either the old or the new state, never half of
one, and never silently. It holds no identifier in the clear: rows are keyed by the row key
(HMAC with the partner's secret), the subject only as the sealed box the hub alone can open,
and the facts are the minimised contract fields that were published anyway.

Every committed state is also kept, by generation, in ``<state>.history/`` (the last few,
hard links: no copy), for ``wijkhub connector state show|rollback``
(:mod:`connectors.recovery`).

The row-key secret is a separate file (mode 0600) created on first use; it never leaves the
partner. Losing it makes every row look new once (all opened again, with new row keys).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors._atomic import fsync_dir, replace_file
from connectors.errors import StateError
from schemas.logging import get_logger

__all__ = ["HistoryEntry", "InFlight", "RowState", "State", "StateStore", "load_secret"]

_VERSION = 2
"""2: delta event ids include the row's occurred_at; version 1 ledgers are kept as legacy."""
_SECRET_FILE = "row-key.secret"  # noqa: S105 - a file name, not a secret
_WRITABLE = "WIJKHUB_STATE_DIR must be a directory this user can write, with free space"
_AGAIN = "Make room (or make it writable) and run again."
log = get_logger(__name__)


@dataclass(slots=True)
class RowState:
    """What the last published event of a snapshot row said."""

    digest: str
    sealed: str
    facts: dict[str, Any]
    last_sent: str
    subject_key: str = ""
    column_key: str = ""
    """Keyed hash of the row-key columns alone: finds the row when its address is rejected."""


@dataclass(slots=True)
class InFlight:
    """A run that started publishing and has not committed: where the topic ended then."""

    topic: str
    start_offsets: dict[str, int]
    export_sha256: str = ""
    label: str = ""
    """What was running (an export file, a rollback), for the message that asks to finish it."""


@dataclass(slots=True)
class State:
    """Everything a connector remembers about one source between runs."""

    generation: int = 0
    as_of: str | None = None
    rows: dict[str, RowState] = field(default_factory=dict)
    ledger: dict[str, str] = field(default_factory=dict)
    legacy_ledger: dict[str, str] = field(default_factory=dict)
    """Delta event ids published under state version 1 (ids without occurred_at), by date."""
    in_flight: InFlight | None = None

    def to_json(self) -> dict[str, Any]:
        """The document written to disk."""
        flight = self.in_flight
        return {
            "version": _VERSION,
            "generation": self.generation,
            "as_of": self.as_of,
            "rows": {
                k: {
                    "digest": r.digest,
                    "sealed": r.sealed,
                    "facts": r.facts,
                    "last_sent": r.last_sent,
                    "subject_key": r.subject_key,
                    "column_key": r.column_key,
                }
                for k, r in self.rows.items()
            },
            "ledger": self.ledger,
            "legacy_ledger": self.legacy_ledger,
            "in_flight": (
                {
                    "topic": flight.topic,
                    "start_offsets": flight.start_offsets,
                    "export_sha256": flight.export_sha256,
                    "label": flight.label,
                }
                if flight
                else None
            ),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> State:
        """Read a document written by :meth:`to_json` (this version or version 1)."""
        version = doc.get("version")
        if version not in (1, _VERSION):
            raise ValueError("unknown state version")
        flight = doc.get("in_flight")
        ledger = {str(k): str(v) for k, v in doc["ledger"].items()}
        legacy = {str(k): str(v) for k, v in doc.get("legacy_ledger", {}).items()}
        if version == 1:  # its delta ids were computed without occurred_at
            ledger, legacy = {}, ledger
        return cls(
            generation=int(doc["generation"]),
            as_of=doc.get("as_of"),
            rows={k: RowState(**v) for k, v in doc["rows"].items()},
            ledger=ledger,
            legacy_ledger=legacy,
            in_flight=InFlight(**flight) if flight else None,
        )


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A committed state kept for ``state show|rollback``."""

    generation: int
    as_of: str | None
    rows: int
    path: Path


def _unusable(where: Path, exc: OSError) -> StateError:
    return StateError(f"{where}: cannot use the state directory ({exc.strerror}); {_WRITABLE}")


def load_secret(directory: Path) -> bytes:
    """The partner's row-key secret, created (mode 0600) on first use."""
    path = directory / _SECRET_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            # write a complete, checked file first, then link it into place: never a
            # half-written secret, and never one that replaces a secret created meanwhile
            tmp = directory / f".{_SECRET_FILE}.{os.getpid()}"
            replace_file(tmp, secrets.token_bytes(32))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another run created it first: use theirs
            finally:
                tmp.unlink()
            fsync_dir(directory)
        data = path.read_bytes()
    except OSError as exc:
        raise _unusable(directory, exc) from None
    if len(data) != 32:
        raise StateError(f"{path}: not a row-key secret (32 bytes); restore it from backup")
    return data


class StateStore:
    """Loads and atomically replaces the state of one source; keeps its recent history."""

    def __init__(self, directory: Path, partner_id: str, record: str, *, keep: int = 5) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", f"{partner_id}.{record}")
        self.directory = directory
        self.path = directory / f"{slug}.state.json"
        self.history_dir = directory / f"{slug}.history"
        self.keep = keep

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the source's lock for a run: two runs of one source never interleave.

        An advisory ``flock``; the kernel releases it when the process dies (even SIGKILL).
        """
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unusable(self.directory, exc) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StateError(
                    f"{self.path}: another run of this source is in progress; wait for it"
                ) from None
            yield
        finally:
            os.close(fd)

    def _read(self, path: Path) -> State | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise StateError(f"{path}: cannot read state ({reason})") from None
        try:
            return State.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StateError(
                f"{path}: state file is damaged; roll back to a kept generation "
                "(`wijkhub connector state show`), or restore it from backup"
            ) from None

    def load(self) -> State:
        """The stored state, or an empty one for a source never run before."""
        return self._read(self.path) or State()

    def save(self, state: State, *, advice: str = _AGAIN) -> None:
        """Replace the stored state atomically, durably and checked.

        On failure raises :class:`StateError` ending with ``advice`` (what the caller's
        operator should do; the old state is still in place).
        """
        data = json.dumps(state.to_json(), separators=(",", ":")).encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_file(self.path, data)
        except OSError as exc:
            raise StateError(
                f"{self.path}: cannot write the connector state ({exc.strerror or exc}); "
                f"the previous state is unchanged. {advice}"
            ) from None

    def commit(self, state: State, *, advice: str = _AGAIN) -> None:
        """:meth:`save` a committed state and keep it in the history (best effort)."""
        self.save(state, advice=advice)
        try:
            self._remember(state.generation)
        except OSError as exc:  # the commit stands; only the rollback point is missing
            log.warning("state history not kept", path=str(self.history_dir), error=exc.strerror)

    def _remember(self, generation: int) -> None:
        self.history_dir.mkdir(exist_ok=True, mode=0o700)
        target = self.history_dir / f"{generation:09d}.json"
        tmp = self.history_dir / f".{generation:09d}.json.tmp{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.link(self.path, tmp)  # the same inode: no copy, no extra space for the data
        tmp.replace(target)
        for old in self._kept()[: -self.keep]:
            old.unlink()
        fsync_dir(self.history_dir)

    def _kept(self) -> list[Path]:
        if not self.history_dir.is_dir():
            return []
        return sorted(p for p in self.history_dir.iterdir() if re.fullmatch(r"\d+\.json", p.name))

    def history(self) -> list[HistoryEntry]:
        """The kept committed states, oldest first."""
        entries = []
        for path in self._kept():
            state = self._read(path)
            if state is not None:
                entries.append(HistoryEntry(state.generation, state.as_of, len(state.rows), path))
        return entries

    def kept(self, generation: int) -> State:
        """The kept committed state of ``generation``."""
        state = self._read(self.history_dir / f"{generation:09d}.json")
        if state is None:
            have = ", ".join(str(e.generation) for e in self.history()) or "none"
            raise StateError(
                f"{self.history_dir}: generation {generation} is not kept (kept: {have})"
            )
        return state
