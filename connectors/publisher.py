"""Publishing encoded records with kafka-python: idempotent, ``acks=all``, delivery confirmed.

:meth:`Publisher.send` queues a message; :meth:`Publisher.confirm` flushes and raises
:class:`PublishError` unless the broker acknowledged every queued message. Callers commit
their checkpoint only after :meth:`confirm` returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError

from connectors.errors import PublishError
from schemas.settings import KafkaSettings

__all__ = ["Publisher", "producer_config"]


def producer_config(settings: KafkaSettings) -> dict[str, Any]:
    """kafka-python producer settings: idempotent, every in-sync replica acknowledges."""
    return {
        **settings.kafka_python_config(),
        "acks": "all",
        "enable_idempotence": True,
        "max_in_flight_requests_per_connection": 5,
        "linger_ms": 20,
        "batch_size": 256 * 1024,
        "compression_type": "gzip",
        "delivery_timeout_ms": 120_000,
        "request_timeout_ms": 30_000,
    }


class Publisher:
    """A producer for one topic that knows which messages the broker confirmed."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        *,
        on_delivered: Callable[[int], None] | None = None,
    ) -> None:
        self.topic = topic
        self.on_delivered = on_delivered
        """Called with 1 for every message the broker confirmed (may be set after creation)."""
        self._pending: list[Any] = []
        self.delivered = 0
        try:
            self._producer = KafkaProducer(**producer_config(settings))
        except KafkaError as exc:
            raise PublishError(
                f"cannot connect to Kafka at {settings.bootstrap_servers} ({exc}); "
                "check KAFKA_BOOTSTRAP_SERVERS and the network"
            ) from None

    def _delivered(self, _metadata: Any) -> None:
        if self.on_delivered is not None:
            self.on_delivered(1)

    def warm_up(self) -> None:
        """Fetch the topic's metadata now, so the first :meth:`send` does not wait for it."""
        try:
            self._producer.partitions_for(self.topic)
        except KafkaError as exc:
            raise PublishError(f"topic {self.topic}: no metadata ({exc})") from None

    def send(self, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]]) -> None:
        """Queue one message (asynchronous; see :meth:`confirm`)."""
        try:
            future = self._producer.send(self.topic, key=key, value=value, headers=list(headers))
        except KafkaError as exc:
            raise PublishError(f"topic {self.topic}: cannot queue a message ({exc})") from None
        if self.on_delivered is not None:  # a progress bar; otherwise confirm() counts
            future.add_callback(self._delivered)
        self._pending.append(future)

    def confirm(self, timeout: float = 120.0) -> int:
        """Flush; returns how many messages were confirmed, raises if any was not."""
        try:
            self._producer.flush(timeout=timeout)
        except KafkaError as exc:
            raise PublishError(f"topic {self.topic}: flush failed ({exc})") from None
        failed = [f for f in self._pending if not f.is_done or f.failed()]
        count = len(self._pending) - len(failed)
        self.delivered += count
        self._pending = []
        if failed:
            first = failed[0].exception if failed[0].is_done else "no answer in time"
            raise PublishError(
                f"topic {self.topic}: {len(failed)} message(s) not confirmed (first: {first}); "
                "nothing was checkpointed, so run the same export again to finish"
            )
        return count

    def close(self) -> None:
        """Close the producer (after :meth:`confirm`)."""
        self._producer.close(timeout=10)

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
