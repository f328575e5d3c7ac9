"""The connector's partitioner puts every key where kafka-python's default (and Java) would."""

from __future__ import annotations

import random

import pytest
from kafka.partitioner.default import DefaultPartitioner
from kafka.partitioner.default import murmur2 as kafka_murmur2

from connectors.publisher import KeyPartitioner, murmur2


class _Cluster:
    """The two ClusterMetadata calls the partitioners make."""

    def __init__(self, partitions: set[int], available: set[int] | None = None) -> None:
        self._partitions = partitions
        self._available = partitions if available is None else available

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._partitions) if topic == "t" else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._available) if topic == "t" else None


def test_murmur2_is_kafka_pythons_for_every_length_and_byte() -> None:
    rnd = random.Random(7)  # noqa: S311 (test data, not secrets)
    samples = [bytes(range(n)) for n in range(40)] + [b"\xff" * n for n in range(40)]
    samples += [rnd.randbytes(rnd.randrange(0, 90)) for _ in range(5000)]
    samples += [rnd.randbytes(16).hex().encode() for _ in range(2000)]  # connector keys
    for data in samples:
        assert murmur2(data) == kafka_murmur2(data), data


@pytest.mark.parametrize(
    ("key", "partition"),
    [(b"", 681), (b"a", 524), (b"ab", 434), (b"abc", 107), (b"123456789", 566), (b"\x00 ", 742)],
)
def test_java_client_partitions(key: bytes, partition: int) -> None:
    """Vectors from Kafka's Java partitioner over 1000 partitions (as kafka-python tests)."""
    assert KeyPartitioner().partition("t", key, key, None, None, _Cluster(set(range(1000)))) == (
        partition
    )


def test_same_partition_as_the_default_whatever_is_available() -> None:
    rnd = random.Random(3)  # noqa: S311 (test data, not secrets)
    ours, default = KeyPartitioner(), DefaultPartitioner()
    for count in (1, 3, 6, 12):
        partitions = set(range(count))
        cluster = _Cluster(partitions, available={p for p in partitions if p % 2})
        for _ in range(500):
            key = rnd.randbytes(16).hex().encode()
            want = default.partition("t", key, key, b"v", b"v", cluster)
            assert ours.partition("t", key, key, b"v", b"v", cluster) == want


def test_unknown_topic_and_unkeyed_messages() -> None:
    with pytest.raises(ValueError, match="not found"):
        KeyPartitioner().partition("other", b"k", b"k", None, None, _Cluster({0, 1}))
    cluster = _Cluster({0, 1, 2}, available={2})
    assert KeyPartitioner().partition("t", None, None, b"v", b"v", cluster) == 2
