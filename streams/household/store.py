"""Local state of the household processor: one store per partition, and its checkpoint.

The changelog topic is the truth; a local store is a cache of it that makes a restart fast.
Each store remembers the last changelog offset it holds (its checkpoint) and when it wrote
it, so that a restart reads only the changelog after that offset.

A local store is thrown away and rebuilt from the changelog when it cannot be trusted:
its checkpoint is before the changelog's first offset (retention or compaction removed what
it never saw), after the changelog's end (the topic was recreated), or older than
``stale_after`` seconds — compaction removes tombstones after ``delete.retention.ms``, so a
store that missed a purge for longer than that would keep a household that withdrew consent.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

__all__ = ["MemoryStore", "PartitionStore", "RocksStore", "open_store"]

_CHECKPOINT = b"\x00wijkhub.checkpoint"
"""Key of the checkpoint entry; household keys are ``k1:...`` pseudonyms, never this."""


class PartitionStore(Protocol):
    """State of the households of one partition."""

    partition: int
    checkpoint: int
    """The last changelog offset this store holds; -1 for none."""
    written_at: float
    """When the checkpoint was written (epoch seconds); 0 for never."""

    def get(self, key: bytes) -> bytes | None: ...
    def write(self, writes: Mapping[bytes, bytes | None], checkpoint: int) -> None: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...
    def count(self) -> int: ...


class MemoryStore:
    """A dict; restored from the changelog at every start."""

    def __init__(self, partition: int) -> None:
        self.partition = partition
        self.checkpoint = -1
        self.written_at = 0.0
        self._data: dict[bytes, bytes] = {}

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def write(self, writes: Mapping[bytes, bytes | None], checkpoint: int) -> None:
        for key, value in writes.items():
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
        self.checkpoint, self.written_at = checkpoint, time.time()

    def clear(self) -> None:
        self._data.clear()
        self.checkpoint, self.written_at = -1, 0.0

    def close(self) -> None:
        self._data.clear()

    def count(self) -> int:
        return len(self._data)


class RocksStore:
    """A RocksDB database (rocksdict) per partition; writes go in one atomic batch."""

    def __init__(self, path: Path, partition: int) -> None:
        from rocksdict import Options, Rdict

        self.partition = partition
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = Rdict(str(path), Options(raw_mode=True))
        meta = self._db.get(_CHECKPOINT)
        found = json.loads(meta) if meta else {}
        self.checkpoint = int(found.get("offset", -1))
        self.written_at = float(found.get("at", 0.0))

    def get(self, key: bytes) -> bytes | None:
        value = self._db.get(key)
        return bytes(value) if value is not None else None

    def write(self, writes: Mapping[bytes, bytes | None], checkpoint: int) -> None:
        from rocksdict import WriteBatch

        batch = WriteBatch(raw_mode=True)
        for key, value in writes.items():
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        now = time.time()
        batch.put(_CHECKPOINT, json.dumps({"offset": checkpoint, "at": now}).encode())
        self._db.write(batch)
        self.checkpoint, self.written_at = checkpoint, now

    def clear(self) -> None:
        from rocksdict import Options, Rdict

        self._db.close()
        shutil.rmtree(self.path, ignore_errors=True)
        self._db = Rdict(str(self.path), Options(raw_mode=True))
        self.checkpoint, self.written_at = -1, 0.0

    def close(self) -> None:
        self._db.close()

    def count(self) -> int:
        n = 0
        for key in self._db.keys():  # noqa: SIM118 - an Rdict is not iterable
            n += key != _CHECKPOINT
        return n


def open_store(kind: str, data_dir: Path, partition: int) -> PartitionStore:
    """The store of ``partition``: ``rocksdb`` under ``data_dir``, or ``memory``."""
    if kind == "rocksdb":
        return RocksStore(data_dir / "households" / f"p{partition}", partition)
    return MemoryStore(partition)
