"""Errors of the coordinator inbox, its CLI and the proposals sinks."""

from __future__ import annotations

from schemas.errors import WijkhubError

__all__ = [
    "AuditUnavailableError",
    "InboxConfigError",
    "InboxError",
    "PublishFailedError",
    "StoreUnavailableError",
]


class InboxError(WijkhubError):
    """The inbox could not do what was asked; the message says what to do."""


class InboxConfigError(InboxError):
    """The inbox configuration (settings or coordinators file) is missing or wrong."""


class PublishFailedError(InboxError):
    """Kafka did not acknowledge a decision or audit entry; nothing is shown as done."""


class AuditUnavailableError(PublishFailedError):
    """The audit entry could not be written, so the action it audits was refused."""


class StoreUnavailableError(InboxError):
    """The view store's database cannot be reached (or broke off again after a reconnect)."""
