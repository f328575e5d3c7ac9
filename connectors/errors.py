"""Errors of the partner side."""

from __future__ import annotations

from schemas.errors import WijkhubError

__all__ = [
    "ConnectorError",
    "ExportRefusedError",
    "MappingError",
    "PublishError",
    "RowError",
    "StateError",
]


class ConnectorError(WijkhubError):
    """A connector could not do its work; the message says where and what to do."""


class PublishError(ConnectorError):
    """Kafka did not confirm delivery of a message."""


class MappingError(ConnectorError):
    """A mapping file is wrong; the message names the file and the key."""


class ExportRefusedError(ConnectorError):
    """An export failed a check made before anything changes (empty, wholly rejected, wrong
    header, no plausible export date, ...): nothing was published and no state changed."""


class StateError(ConnectorError):
    """The connector's state (snapshot, checkpoint, row-key secret) cannot be used."""


class RowError(ConnectorError, ValueError):
    """One export row cannot become a record; ``field`` names the column or contract field.

    The reason never quotes the row's content (it may be personal data).
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
