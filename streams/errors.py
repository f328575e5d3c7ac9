"""Errors of the hub side."""

from __future__ import annotations

from schemas.errors import WijkhubError

__all__ = ["HubError"]


class HubError(WijkhubError):
    """The hub could not do its work; the message says where and what to do."""
