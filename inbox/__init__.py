"""The case coordinators' inbox: web pages, JSON API, CLI, proposals sinks and audit trail.

Needs ``pip install wijkhub[inbox]``; never imports Faust.
"""

from inbox.config import InboxSettings
from inbox.errors import (
    AuditUnavailableError,
    InboxConfigError,
    InboxError,
    PublishFailedError,
    StoreUnavailableError,
)

__all__ = [
    "AuditUnavailableError",
    "InboxConfigError",
    "InboxError",
    "InboxSettings",
    "PublishFailedError",
    "StoreUnavailableError",
]
