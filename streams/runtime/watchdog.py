"""The stall watchdog's judgement: which partitions have lag and a position that does not move.

A stage's consumer can stop fetching a partition while the broker and the rest of the worker
are fine (faust-streaming/faust#629, "certain topic partitions are not sending fetch
requests"; aiokafka's fetcher had similar bugs). From outside it looks like this: the
partition's end offset is ahead of the stage's position, and the position stays where it is.
:class:`StallTracker` is fed the positions and end offsets that the batch loop reads every
``WIJKHUB_HUB_LAG_INTERVAL`` seconds and says which partitions stalled for
``WIJKHUB_HUB_STALL_SECONDS``, and whether a partition stalled *again* at the same position
after the first remedy (a new consumer for the stage) — then the worker exits for its
supervisor (:data:`EXIT_STALLED`). Pure: the clock is passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from streams.errors import HubError

__all__ = ["EXIT_STALLED", "PartitionStalledError", "Stall", "StallTracker"]

EXIT_STALLED = 75
"""The worker's exit status when a stall survived a new consumer (EX_TEMPFAIL: start it again)."""

P = TypeVar("P")


class PartitionStalledError(HubError):
    """A partition stayed stalled after its stage got a new consumer; the worker exits 75."""


@dataclass(frozen=True, slots=True)
class Stall(Generic[P]):
    """A stalled partition: its position, its lag, for how long, and whether it stalled before
    at this position (the first remedy did not help)."""

    partition: P
    position: int
    lag: int
    seconds: float
    again: bool


@dataclass(slots=True)
class _Seen:
    position: int
    since: float


class StallTracker(Generic[P]):
    """Remembers each partition's position and since when it has not moved while behind."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self._seen: dict[P, _Seen] = {}
        self._stalled_at: dict[P, int] = {}

    def restart_clocks(self) -> None:
        """Forget when positions last moved (after an assignment, a restore, a new consumer):
        a partition's clock starts again at its next reading."""
        self._seen.clear()

    def observe(
        self, now: float, positions: Mapping[P, int], ends: Mapping[P, int]
    ) -> list[Stall[P]]:
        """Take one reading; the partitions stalled for ``stall_seconds`` or longer.

        A partition counts as moving when its position changed since the previous reading,
        and as fine when it has no lag (or no known end offset). A partition that makes
        progress after a stall is forgotten as stalled.
        """
        stalled: list[Stall[P]] = []
        for tp, position in positions.items():
            at = self._stalled_at.get(tp)
            if at is not None and position != at:
                del self._stalled_at[tp]  # it moved on after its stall
            end = ends.get(tp)
            seen = self._seen.get(tp)
            if seen is None or seen.position != position or end is None or end <= position:
                self._seen[tp] = _Seen(position, now)
                continue
            waited = now - seen.since
            if self.stall_seconds > 0 and waited >= self.stall_seconds:
                again = self._stalled_at.get(tp) == position
                self._stalled_at[tp] = position
                stalled.append(Stall(tp, position, end - position, waited, again))
        for tp in [tp for tp in self._seen if tp not in positions]:
            del self._seen[tp]
        return stalled
