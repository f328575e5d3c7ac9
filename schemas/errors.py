"""The one root error of wijkhub and the errors of the shared kernel.

Every error that wijkhub raises on purpose derives from :class:`WijkhubError`. Messages
say what was wrong, where (file and row, or topic/partition/offset) and what to do.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DecodeError",
    "EncodeError",
    "KafkaAuthError",
    "MinimisationError",
    "SchemaCompatibilityError",
    "SchemaError",
    "TopicDriftError",
    "WijkhubError",
]


class WijkhubError(Exception):
    """Root of every error wijkhub raises on purpose."""


class ConfigError(WijkhubError):
    """A setting is missing or wrong; the message names the environment variable."""


class KafkaAuthError(ConfigError):
    """Kafka refused this client, or this client cannot reach it securely: a wrong password or
    unknown user, a CA file that is missing or did not sign the broker's certificate, TLS
    expected on one side only. The message names the principal and the bootstrap servers and
    says which setting to change."""


class SchemaError(WijkhubError):
    """A ``.avsc`` file under ``schemas/avro`` is missing, unreadable or invalid."""


class EncodeError(WijkhubError):
    """A record could not be encoded (not a contract record, or a bad CloudEvents source)."""


class DecodeError(WijkhubError):
    """A Kafka message could not be decoded; route it to the dead-letter topic.

    ``topic``, ``partition`` and ``offset`` say where the message was read, when the caller
    said so; ``reason`` says what was wrong with it.
    """

    def __init__(
        self,
        reason: str,
        *,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> None:
        self.reason = reason
        self.topic = topic
        self.partition = partition
        self.offset = offset
        super().__init__(
            f"cannot decode message at {self.where}: {reason}. The message is not a valid "
            "wijkhub event; route it to the dead-letter topic and tell its producer "
            "(see docs/contracts.md)."
        )

    @property
    def where(self) -> str:
        """``topic T partition P offset O``, with ``?`` for what the caller did not give."""

        def show(value: object) -> str:
            return "?" if value is None else str(value)

        return (
            f"topic {show(self.topic)} partition {show(self.partition)} offset {show(self.offset)}"
        )


class SchemaCompatibilityError(WijkhubError):
    """A schema version cannot read data written with an earlier version of its record."""


class MinimisationError(WijkhubError):
    """A schema has a field that could hold a direct identifier, an amount or free text."""


class TopicDriftError(WijkhubError):
    """A topic on the cluster differs from the catalogue (partitions or configuration)."""
