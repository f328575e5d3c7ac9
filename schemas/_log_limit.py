"""Rate limiting of repeated log lines, for structlog and for the stdlib loggers beneath us.

With a dependency down, a client library can log the same error hundreds of times a second
(aiokafka with the broker away: ~13,000 lines a minute). Each *kind* of line — the logger,
the level and the message template, digits ignored — may appear ``per_key`` times per
``window`` seconds; the rest is counted, not written. The next line of that kind after the
window carries ``suppressed=<n>``, and a kind that went quiet is summed up in one
``log lines suppressed`` line (at the next log call after its window, or when
:meth:`LogLimiter.report` is called). Only warnings and worse are limited: the info lines
are the canonical per-batch lines, bounded by design.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Hashable, MutableMapping
from dataclasses import dataclass
from typing import Any

import structlog

__all__ = ["LogLimiter", "RateLimitFilter"]

_DIGITS = re.compile(r"\d+")
_TEMPLATE_MAX = 160
_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "exception": 40,
           "critical": 50, "fatal": 50}  # fmt: skip
_EXEMPT = "_log_limit_exempt"


@dataclass(slots=True)
class _Slot:
    start: float
    written: int = 1
    suppressed: int = 0


def template(text: object) -> str:
    """A message with its digits replaced, so that ``node 1`` and ``node 2`` are one kind."""
    return _DIGITS.sub("#", str(text))[:_TEMPLATE_MAX]


class LogLimiter:
    """Admits ``per_key`` lines per kind per ``window`` seconds; counts the rest."""

    def __init__(self, per_key: int = 10, window: float = 60.0, *, max_kinds: int = 4096,
                 clock: Callable[[], float] = time.monotonic,
                 report: Callable[[Hashable, int, float], None] | None = None) -> None:  # fmt: skip
        self.per_key, self.window, self.max_kinds = per_key, window, max_kinds
        self.clock = clock
        self._report = report or _report_with_structlog
        self._slots: dict[Hashable, _Slot] = {}
        self._lock = threading.Lock()
        self._checked = clock()
        self.suppressed_total = 0

    def admit(self, kind: Hashable) -> tuple[bool, int]:
        """Whether a line of ``kind`` may be written now, and how many lines of its kind were
        suppressed in the window before (to say so on this one)."""
        if self.per_key <= 0:
            return True, 0
        now = self.clock()
        with self._lock:
            slot = self._slots.get(kind)
            if slot is None or now - slot.start >= self.window:
                before = slot.suppressed if slot is not None else 0
                self._slots.pop(kind, None)
                self._slots[kind] = _Slot(now)
                overflow = self._evict() if len(self._slots) > self.max_kinds else []
                answer = (True, before)
            elif slot.written < self.per_key:
                slot.written += 1
                overflow, answer = [], (True, 0)
            else:
                slot.suppressed += 1
                self.suppressed_total += 1
                overflow, answer = [], (False, 0)
            due = self._due(now)
        for quiet, count in (*overflow, *due):
            self._report(quiet, count, self.window)
        return answer

    def report(self) -> None:
        """Write the summary of every kind whose window ended with lines suppressed."""
        with self._lock:
            due = self._due(self.clock(), force=True)
        for kind, count in due:
            self._report(kind, count, self.window)

    def _due(self, now: float, *, force: bool = False) -> list[tuple[Hashable, int]]:
        """Kinds that went quiet after suppressing lines (checked at most once a second)."""
        if not force and now - self._checked < 1.0:
            return []
        self._checked = now
        ended = [k for k, s in self._slots.items() if s.suppressed and now - s.start >= self.window]
        return [(k, self._slots.pop(k).suppressed) for k in ended]

    def _evict(self) -> list[tuple[Hashable, int]]:
        oldest = next(iter(self._slots))
        slot = self._slots.pop(oldest)
        return [(oldest, slot.suppressed)] if slot.suppressed else []

    # -- the two front ends --------------------------------------------------------------

    def processor(
        self, _logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """structlog processor: drop a repeated warning or error beyond the allowance."""
        if event_dict.pop(_EXEMPT, False) or _LEVELS.get(method, 30) < logging.WARNING:
            return event_dict
        ok, before = self.admit(("structlog", method, template(event_dict.get("event", ""))))
        if not ok:
            raise structlog.DropEvent
        if before:
            event_dict["suppressed"] = before
        return event_dict


class RateLimitFilter(logging.Filter):
    """stdlib filter (on handlers): the same allowance for aiokafka's, Faust's, … records."""

    def __init__(self, limiter: LogLimiter) -> None:
        super().__init__("wijkhub-rate-limit")
        self.limiter = limiter

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        ok, before = self.limiter.admit((record.name, record.levelno, template(text)))
        if ok and before:
            record.msg = (f"{record.getMessage()} [{before} similar lines suppressed in the "
                          f"{self.limiter.window:.0f} s before]")  # fmt: skip
            record.args = ()  # formatted already (Faust's formatter wraps None in a tuple)
        return ok


def _report_with_structlog(kind: Hashable, count: int, window: float) -> None:
    parts = kind if isinstance(kind, tuple) else (kind,)
    if parts and parts[0] == "structlog":
        logger, level, text = "structlog", str(parts[1]), str(parts[2])
    else:
        logger = str(parts[0])
        level = logging.getLevelName(parts[1]).lower() if len(parts) > 1 else "?"
        text = str(parts[2]) if len(parts) > 2 else ""
    structlog.get_logger("wijkhub.logging").warning(
        "log lines suppressed", logger=logger, severity=level, message=text, count=count,
        window_s=window, **{_EXEMPT: True},
    )  # fmt: skip
