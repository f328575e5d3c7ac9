"""Plausibility windows for dates: how far before and after the export date a date may lie.

A bound is either an ISO date (``2000-01-01``) or an offset from the export date in days or
years (``-30y``, ``+0d``, ``+1y``). Each date field has a window (``earliest``/``latest`` in its
``[fields.<name>]`` section, else the ``[file]`` defaults of -100 and +100 years), so year 1,
year 9999 and a typo such as 2062 in an arrears start date reject their row instead of
reaching the hub.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = ["BOUND_PATTERN", "DateWindow", "resolve_bound"]

BOUND_PATTERN = r"^([+-][0-9]{1,4}[dy]|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
_OFFSET = re.compile(r"([+-])([0-9]{1,4})([dy])")


def _shift_years(day: date, years: int) -> date:
    year = min(max(day.year + years, date.min.year), date.max.year)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a year without it
        return day.replace(year=year, day=28)


def resolve_bound(bound: str, as_of: date) -> date:
    """The date ``bound`` stands for, for an export of ``as_of``."""
    match = _OFFSET.fullmatch(bound)
    if match is None:
        return date.fromisoformat(bound)
    sign, number, unit = match.groups()
    amount = int(number) * (1 if sign == "+" else -1)
    if unit == "y":
        return _shift_years(as_of, amount)
    try:
        return as_of + timedelta(days=amount)
    except OverflowError:
        return date.max if amount > 0 else date.min


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The dates a field accepts, inclusive."""

    earliest: date
    latest: date

    @classmethod
    def of(cls, earliest: str, latest: str, as_of: date) -> DateWindow:
        """The window of two bounds for an export of ``as_of``."""
        return cls(resolve_bound(earliest, as_of), resolve_bound(latest, as_of))

    def problem(self, day: date) -> str | None:
        """Why ``day`` is implausible, or ``None`` (the reason names the window, not ``day``)."""
        if self.earliest <= day <= self.latest:
            return None
        return (
            f"date outside the plausible window {self.earliest} to {self.latest} "
            "(a typo? see earliest/latest in the mapping)"
        )
