"""Errors of the quarantine (parked records) and its operator command."""

from __future__ import annotations

from streams.errors import HubError

__all__ = ["QuarantineError"]


class QuarantineError(HubError):
    """A parked record cannot be acted on as asked; the message says why and what to do."""
