"""The connector's state at the partner: previous snapshot, delta ledger, in-flight run.

One JSON file per (partner id, record) in the state directory, replaced atomically (write to
a temporary file, fsync, rename, fsync the directory), so a crash leaves either the old or the
new state, never half of one. It holds no identifier in the clear: rows are keyed by the
row key (HMAC with the partner's secret), the subject only as the sealed box the hub alone can
open, and the facts are the minimised contract fields that were published anyway.

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

from connectors.errors import StateError

__all__ = ["InFlight", "RowState", "State", "StateStore", "load_secret"]

_VERSION = 1
_SECRET_FILE = "row-key.secret"  # noqa: S105 - a file name, not a secret


@dataclass(slots=True)
class RowState:
    """What the last published event of a snapshot row said."""

    digest: str
    sealed: str
    facts: dict[str, Any]
    last_sent: str
    subject_key: str = ""


@dataclass(slots=True)
class InFlight:
    """A run that started publishing and has not committed: where the topic ended then."""

    topic: str
    start_offsets: dict[str, int]
    export_sha256: str = ""


@dataclass(slots=True)
class State:
    """Everything a connector remembers about one source between runs."""

    generation: int = 0
    as_of: str | None = None
    rows: dict[str, RowState] = field(default_factory=dict)
    ledger: dict[str, str] = field(default_factory=dict)
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
                }
                for k, r in self.rows.items()
            },
            "ledger": self.ledger,
            "in_flight": (
                {
                    "topic": flight.topic,
                    "start_offsets": flight.start_offsets,
                    "export_sha256": flight.export_sha256,
                }
                if flight
                else None
            ),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> State:
        """Read a document written by :meth:`to_json`."""
        if doc.get("version") != _VERSION:
            raise ValueError("unknown state version")
        flight = doc.get("in_flight")
        return cls(
            generation=int(doc["generation"]),
            as_of=doc.get("as_of"),
            rows={k: RowState(**v) for k, v in doc["rows"].items()},
            ledger={str(k): str(v) for k, v in doc["ledger"].items()},
            in_flight=InFlight(**flight) if flight else None,
        )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_secret(directory: Path) -> bytes:
    """The partner's row-key secret, created (mode 0600) on first use."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / _SECRET_FILE
    if not path.exists():
        # write a complete file first, then link it into place: never a half-written secret
        tmp = directory / f".{_SECRET_FILE}.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_bytes(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another run created it first: use theirs
        finally:
            tmp.unlink()
        _fsync_dir(directory)
    data = path.read_bytes()
    if len(data) != 32:
        raise StateError(f"{path}: not a row-key secret (32 bytes); restore it from backup")
    return data


class StateStore:
    """Loads and atomically replaces the state of one source."""

    def __init__(self, directory: Path, partner_id: str, record: str) -> None:
        slug = re.sub(r"[^A-Za-z0-9._-]", "_", f"{partner_id}.{record}")
        self.directory = directory
        self.path = directory / f"{slug}.state.json"

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the source's lock for a run: two runs of one source never interleave.

        An advisory ``flock``; the kernel releases it when the process dies (even SIGKILL).
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
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

    def load(self) -> State:
        """The stored state, or an empty one for a source never run before."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State()
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read state ({exc.strerror})") from None
        try:
            return State.from_json(json.loads(text))
        except (ValueError, KeyError, TypeError):
            raise StateError(
                f"{self.path}: state file is damaged; restore it from backup, or remove it "
                "to start over (every row is then opened again)"
            ) from None

    def save(self, state: State) -> None:
        """Replace the stored state atomically and durably."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(f".tmp{os.getpid()}")
        data = json.dumps(state.to_json(), separators=(",", ":")).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(self.path)
        _fsync_dir(self.directory)
