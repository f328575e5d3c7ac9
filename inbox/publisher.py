"""Publishing the inbox's decisions and audit entries, each confirmed by the broker.

:class:`EventPublisher` is what the inbox needs; :class:`KafkaEventPublisher` does it with an
idempotent kafka-python producer (``acks=all``) and waits for the acknowledgement, so a
decision is shown as taken only once Kafka has it.
"""

from __future__ import annotations

from typing import Any, Protocol

from inbox.errors import PublishFailedError
from schemas.codec import Encoded
from schemas.settings import KafkaSettings

__all__ = ["EventPublisher", "KafkaEventPublisher"]


class EventPublisher(Protocol):
    """Sends one encoded record to a catalogue topic and returns once it is acknowledged."""

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        """Publish to ``topic`` (relative to the prefix, e.g. ``decisions.v1``)."""

    def close(self) -> None:
        """Flush and release the producer."""


class KafkaEventPublisher:
    """:class:`EventPublisher` on a kafka-python producer."""

    def __init__(self, settings: KafkaSettings, *, timeout: float = 30.0) -> None:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        self._settings = settings
        self._timeout = timeout
        try:
            self._producer: Any = KafkaProducer(
                **settings.kafka_python_config(),
                acks="all",
                enable_idempotence=True,
                retries=5,
                request_timeout_ms=int(timeout * 1000),
            )
        except KafkaError as exc:
            raise PublishFailedError(
                f"cannot connect to Kafka at {settings.bootstrap_servers} ({exc}); "
                "check KAFKA_BOOTSTRAP_SERVERS"
            ) from None

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        """Publish and wait for the broker's acknowledgement."""
        from kafka.errors import KafkaError

        full = self._settings.topic(topic)
        try:
            future = self._producer.send(
                full, key=key, value=encoded.value, headers=list(encoded.headers)
            )
            future.get(timeout=self._timeout)
        except KafkaError as exc:
            raise PublishFailedError(
                f"topic {full}: Kafka did not acknowledge the message ({type(exc).__name__}); "
                "nothing was recorded, try again"
            ) from None

    def close(self) -> None:
        """Flush and close the producer."""
        self._producer.close(timeout=self._timeout)
