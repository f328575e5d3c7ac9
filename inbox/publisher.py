"""Publishing the inbox's decisions and audit entries, each confirmed by the broker.

:class:`EventPublisher` is what the inbox needs; :class:`KafkaEventPublisher` does it with an
idempotent kafka-python producer (``acks=all``) and waits for the acknowledgement, so a
decision is shown as taken, and a proposal shown, only once Kafka has the record.

Every call is bounded, and a record reported as *not* written is no longer queued anywhere,
so it cannot reach the topic after the request it belonged to was refused:

- while Kafka is known not to answer (``broker_up``, the :class:`~inbox.health.BrokerProbe`),
  nothing is sent at all;
- at most ``max_waiting`` calls wait for Kafka at the same time; another waits half a second
  for a turn and is then refused, so a broker that hangs cannot occupy every request thread
  of the server (it has twice as many, :func:`inbox.app.create_app`);
- ``send`` blocks at most one second (metadata, buffer space); the producer itself reports
  success or failure of each record within ``timeout`` (``delivery_timeout_ms``: a record that
  expires in its buffer is dropped, never sent later), and we wait for that verdict;
- one request at a time per broker connection (``max_in_flight_requests_per_connection=1``):
  when a broker stops answering mid-way, only the one request already on the wire can be in
  doubt (the broker may have stored it without the answer reaching us), never a queue of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from inbox.errors import PublishFailedError
from schemas.codec import Encoded
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["EventPublisher", "KafkaEventPublisher"]

_log = get_logger(__name__)
_VERDICT_MARGIN_S = 2.0
_SLOT_WAIT_S = 0.5


class EventPublisher(Protocol):
    """Sends one encoded record to a catalogue topic and returns once it is acknowledged."""

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        """Publish to ``topic`` (relative to the prefix, e.g. ``decisions.v1``)."""

    def close(self) -> None:
        """Flush and release the producer."""


def _always_up() -> bool:
    return True


class KafkaEventPublisher:
    """:class:`EventPublisher` on a kafka-python producer, bounded in time and in waiters."""

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        timeout: float = 30.0,
        max_waiting: int = 32,
        broker_up: Callable[[], bool] = _always_up,
    ) -> None:
        self._settings = settings
        self._timeout = timeout
        self._broker_up = broker_up
        self._slots = threading.BoundedSemaphore(max_waiting)
        self._lock = threading.Lock()
        self._closed = False
        self._producer: Any = self._connect()

    def _connect(self, *, bootstrap_s: float = 10.0) -> Any:
        from kafka import KafkaProducer
        from kafka.errors import KafkaError

        delivery_ms = max(1000, int(self._timeout * 1000))
        try:
            return KafkaProducer(
                **self._settings.kafka_python_config(),
                acks="all",
                enable_idempotence=True,
                max_in_flight_requests_per_connection=1,
                delivery_timeout_ms=delivery_ms,
                request_timeout_ms=max(500, delivery_ms // 2),
                max_block_ms=min(1000, delivery_ms),
                reconnect_backoff_max_ms=1000,
                bootstrap_timeout_ms=int(bootstrap_s * 1000),
            )
        except KafkaError as exc:
            raise PublishFailedError(
                f"cannot connect to Kafka at {self._settings.bootstrap_servers} "
                f"({type(exc).__name__}); check KAFKA_BOOTSTRAP_SERVERS and that the broker runs"
            ) from None

    def publish(self, topic: str, key: bytes, encoded: Encoded) -> None:
        """Publish and wait for the broker's acknowledgement (at most ``timeout`` + 2 s)."""
        full = self._settings.topic(topic)
        if not self._broker_up():
            raise PublishFailedError(
                f"topic {full}: Kafka does not answer at the moment; nothing was sent, "
                "try again shortly"
            )
        if not self._slots.acquire(timeout=_SLOT_WAIT_S):
            raise PublishFailedError(
                f"topic {full}: too many writes are waiting for Kafka; nothing was sent, "
                "try again shortly"
            )
        try:
            self._send(full, key, encoded)
        finally:
            self._slots.release()

    def _send(self, full: str, key: bytes, encoded: Encoded) -> None:
        from kafka.errors import KafkaError

        producer = self._current()
        future: Any = None
        try:
            future = producer.send(
                full, key=key, value=encoded.value, headers=list(encoded.headers)
            )
            future.get(timeout=self._timeout + _VERDICT_MARGIN_S)
        except KafkaError as exc:
            if future is not None and not future.is_done:
                self._abandon(producer)  # no verdict in time: make sure it is never sent
            raise PublishFailedError(
                f"topic {full}: Kafka did not acknowledge the message ({type(exc).__name__}); "
                "nothing was recorded, try again"
            ) from None

    def _current(self) -> Any:
        with self._lock:
            if self._closed:
                raise PublishFailedError("the inbox is stopping; nothing was sent")
            if self._producer is None:  # dropped after it gave no verdict: a new one, bounded
                self._producer = self._connect(bootstrap_s=min(self._timeout, 10.0))
            return self._producer

    def _abandon(self, producer: Any) -> None:
        """Drop a producer that gave no verdict in time, failing whatever it still holds."""
        with self._lock:
            if self._producer is producer:
                self._producer = None
        _log.warning("kafka producer gave no verdict in time; dropped it and what it held")
        _force_close(producer)

    def close(self) -> None:
        """Flush and close the producer (waits at most ``timeout``)."""
        from kafka.errors import KafkaError

        with self._lock:
            producer, self._producer, self._closed = self._producer, None, True
        if producer is None:
            return
        try:
            producer.close(timeout=self._timeout)
        except KafkaError:
            _log.warning("kafka producer closed with records it could not deliver")
            _force_close(producer)


def _force_close(producer: Any) -> None:
    """Close at once; the records still held fail (and are never sent)."""
    from kafka.errors import KafkaError

    try:
        producer.close(timeout=0)
    except KafkaError:  # close() flushes first and gives up there: stop the sender directly
        sender = getattr(producer, "_sender", None)
        if sender is not None:
            sender.force_close()
