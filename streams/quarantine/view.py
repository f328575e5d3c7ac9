"""What is parked now: the latest state of every record on ``quarantine.v1``, and the holds.

Pure, no Kafka: the ingress feeds it every quarantine message it reads (its own tail of the
whole topic, and the partitions its consumer group gives it), and the entries it writes
itself as soon as it decides them (*provisional*: no offset yet, confirmed once the broker
acknowledged them). An entry is replaced only by a later message of the same id, so reading
a message twice, or late, changes nothing. The operator command builds one from a read of the
whole topic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from streams.quarantine.records import Entry

__all__ = ["QuarantineView"]

_KEEP_VALUE = 64 * 1024
"""A held record's value is kept in memory up to this size (a re-drive needs it; a valid
record is a few hundred bytes)."""


class QuarantineView:
    """Every parked record's latest state, and which open records hold what.

    ``slim`` (the worker's): keep a record's original value and headers only while it is
    held behind another — what a re-drive needs; a release brings its own copy — so that a
    flood of garbage parked records costs metadata, not their bytes.
    """

    def __init__(self, *, slim: bool = False) -> None:
        self.slim = slim
        self._entries: dict[str, Entry] = {}
        self._heads: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, qid: str) -> Entry | None:
        """The latest known state of record ``qid``."""
        return self._entries.get(qid)

    def entries(self) -> list[Entry]:
        """Every known record, oldest parked first."""
        return sorted(self._entries.values(), key=lambda e: (e.partition, _order(e)))

    def open(self) -> list[Entry]:
        """The records an operator or the ingress still has to act on."""
        return [e for e in self.entries() if e.open]

    def apply(self, entry: Entry) -> bool:
        """Take ``entry`` when it is newer than what is known of its id; whether it was."""
        known = self._entries.get(entry.id)
        if known is not None and known.partition == entry.partition:
            if known.offset is None and entry.offset is not None:
                return False  # ours, not yet acknowledged: the newest there is
            if None not in (known.offset, entry.offset) and _order(entry) <= _order(known):
                return False
        self._store(entry)
        return True

    def confirm(self, qid: str, offset: int) -> None:
        """The broker acknowledged our provisional state of ``qid`` at ``offset``."""
        known = self._entries.get(qid)
        if known is not None and known.offset is None:
            self._entries[qid] = replace(known, offset=offset)

    def newer_than(self, qid: str, offset: int) -> bool:
        """Whether a state of ``qid`` later than ``offset`` is known (so a message at
        ``offset`` was acted on already)."""
        known = self._entries.get(qid)
        return known is not None and (known.offset is None or known.offset > offset)

    def holding(self, holds: Iterable[str | None], *, exclude: str | None = None) -> Entry | None:
        """The open head that holds any of ``holds`` (hold keys), other than ``exclude``."""
        for hold in holds:
            for qid in sorted(self._heads.get(hold or "", ())):
                if qid != exclude:
                    return self._entries[qid]
        return None

    def followers(self, head: str) -> list[Entry]:
        """The records parked behind ``head``, in the order they were parked."""
        waiting = [e for e in self._entries.values() if e.held_by == head and e.state == "parked"]
        return sorted(waiting, key=_order)

    def _store(self, entry: Entry) -> None:
        old = self._entries.get(entry.id)
        if old is not None and old.hold:
            self._heads.get(old.hold, set()).discard(old.id)
        message = entry.origin.message
        held = entry.held_by is not None and entry.state == "parked"
        large = message.value is not None and len(message.value) > _KEEP_VALUE
        if self.slim and (large or not held):
            thin = replace(message, value=None, headers=[] if not held else message.headers)
            entry = replace(entry, origin=replace(entry.origin, message=thin))
        self._entries[entry.id] = entry
        if entry.open and entry.held_by is None and entry.hold:
            self._heads.setdefault(entry.hold, set()).add(entry.id)


def _order(entry: Entry) -> float:
    return float("inf") if entry.offset is None else float(entry.offset)
