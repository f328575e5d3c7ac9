"""Publishing encoded records with kafka-python: idempotent, ``acks=all``, delivery confirmed.

:meth:`Publisher.send` queues a message; :meth:`Publisher.confirm` flushes and raises
:class:`PublishError` unless the broker acknowledged every queued message. Callers commit
their checkpoint only after :meth:`confirm` returned.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError
from kafka.partitioner import DefaultPartitioner

from connectors.errors import PublishError
from schemas.settings import KafkaSettings

__all__ = ["KeyPartitioner", "Publisher", "murmur2", "producer_config"]

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of ``data``: the same value as ``kafka.partitioner.default.murmur2``
    (and the Java client's ``Utils.murmur2``), a word at a time instead of a byte at a time."""
    length = len(data)
    h = 0x9747B28C ^ length
    for word in struct.unpack_from(f"<{length >> 2}I", data):
        k = (word * _M) & _MASK
        k = ((k ^ (k >> 24)) * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    extra, tail = length & 3, length & ~3
    if extra:
        if extra == 3:
            h ^= data[tail + 2] << 16
        if extra >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


class KeyPartitioner(DefaultPartitioner):  # type: ignore[misc]  # kafka-python is untyped
    """kafka-python's default partitioner, cheaper per keyed message: the same partition for
    every key (murmur2 of the key over all partitions, as the Java client), without building
    the set of available partitions a keyed message never uses. Unkeyed: the default's."""

    def partition(  # noqa: PLR0917 (kafka-python's Partitioner signature)
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        """The partition of one message."""
        if serialized_key is None:
            return int(super().partition(topic, key, None, value, serialized_value, cluster))
        partitions = cluster.partitions_for_topic(topic)
        if not partitions:
            raise ValueError(f"Topic {topic} not found in ClusterMetadata")
        ordered = sorted(partitions)
        return int(ordered[(murmur2(serialized_key) & 0x7FFFFFFF) % len(ordered)])


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
        "partitioner": KeyPartitioner(),
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
