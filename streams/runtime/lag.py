"""How far the hub's consumer groups are behind their input topics, and waiting until caught up.

The hub commits an input offset only after the broker acknowledged everything sent for it
(the household stage: outputs first, then its state; see :mod:`streams.runtime.batchloop`), so a
lag of 0 on every input partition means every output of those inputs is on its topic. Waiting
on that — rather than sleeping — is how the demo and the integration tests know the hub is
done. The hub is a pipeline (ingest topics → ``household-events.v1`` → proposals) with one
consumer group per stage (the app id + ``.ingress``, the app id + ``.household``), so
:func:`wait_caught_up` waits stage by stage: only once the ingress committed every ingest
message is the end of the household topic final.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from types import TracebackType

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, OffsetSpec
from kafka.errors import (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)

from schemas.settings import KafkaSettings
from streams.errors import HubError
from streams.runtime.topics import (
    DECISIONS_TOPIC,
    HOUSEHOLD_TOPIC,
    INGEST_TOPICS,
    QUARANTINE_TOPIC,
)
from streams.settings import HOUSEHOLD_GROUP_SUFFIX, INGRESS_GROUP_SUFFIX

__all__ = ["HUB_STAGES", "GroupLag", "wait_caught_up"]

_COORDINATOR_NOT_READY = (
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
)
"""What a fresh (or just restarted) broker answers while __consumer_offsets gets its leader."""

HUB_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (INGRESS_GROUP_SUFFIX, (*INGEST_TOPICS, QUARANTINE_TOPIC)),
    (HOUSEHOLD_GROUP_SUFFIX, (HOUSEHOLD_TOPIC, DECISIONS_TOPIC)),
)
"""Per pipeline stage, upstream first: the suffix of its consumer group after the app id, and
its input topics (relative names)."""


class GroupLag:
    """Reads a consumer group's committed offsets and the end offsets of topics (one admin)."""

    def __init__(self, kafka: KafkaSettings, group: str) -> None:
        self.kafka = kafka
        self.group = group
        self._admin = KafkaAdminClient(client_id="wijkhub-lag", **kafka.kafka_python_config())
        self._partitions: dict[str, list[TopicPartition]] = {}

    def _tps(self, topics: Sequence[str]) -> list[TopicPartition]:
        missing = [t for t in topics if t not in self._partitions]
        for meta in self._admin.describe_topics(missing) if missing else ():
            if meta["error_code"] == 0 and meta["partitions"]:
                self._partitions[meta["name"]] = [
                    TopicPartition(meta["name"], p["partition_index"]) for p in meta["partitions"]
                ]
        return [tp for t in topics for tp in self._partitions.get(t, ())]

    def lag(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """End offset minus committed offset per partition of ``topics`` (full names).

        A topic that does not exist yet counts as one partition with unknown lag (-1).
        """
        tps = self._tps(topics)
        unknown = {TopicPartition(t, -1): -1 for t in topics if t not in self._partitions}
        if not tps:
            return unknown
        ends = self._admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
        try:
            committed = self._admin.list_group_offsets({self.group: tps}).get(self.group, {})
        except _COORDINATOR_NOT_READY:
            committed = {}  # a fresh broker: no __consumer_offsets (or its leader) yet
        out: dict[TopicPartition, int] = dict(unknown)
        for tp in tps:
            done = committed.get(tp)
            done_at = done.offset if done is not None and done.offset >= 0 else 0
            out[tp] = max(0, ends[tp].offset - done_at)
        return out

    def committed(self, topic: str, partition: int) -> int:
        """The group's committed offset of ``topic`` (full name) ``partition``; -1 if none."""
        tp = TopicPartition(topic, partition)
        try:
            found = self._admin.list_group_offsets({self.group: [tp]}).get(self.group, {})
        except _COORDINATOR_NOT_READY:
            return -1
        done = found.get(tp)
        return done.offset if done is not None and done.offset >= 0 else -1

    def ends(self, topics: Sequence[str]) -> int:
        """The sum of the end offsets of ``topics`` (full names): how much was ever written."""
        tps = self._tps(topics)
        if not tps:
            return 0
        found = self._admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
        return sum(o.offset for o in found.values())

    def close(self) -> None:
        """Close the admin client."""
        self._admin.close()

    def __enter__(self) -> GroupLag:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def wait_caught_up(
    kafka: KafkaSettings,
    app_id: str,
    stages: Sequence[tuple[str, Sequence[str]]] = HUB_STAGES,
    *,
    timeout: float = 120.0,
    poll: float = 0.1,
    alive: Callable[[], bool] | None = None,
) -> float:
    """Block until the hub ``app_id`` has no lag on any topic of ``stages``, stage by stage.

    Returns the seconds waited. Raises :class:`HubError` after ``timeout`` seconds, or as soon
    as ``alive()`` says the worker is gone.
    """
    start = time.monotonic()
    deadline = start + timeout
    for suffix, stage in stages:
        group = app_id + suffix
        with GroupLag(kafka, group) as reader:
            names = [kafka.topic(t) for t in stage]
            while True:
                behind = {str(tp): n for tp, n in reader.lag(names).items() if n != 0}
                if not behind:
                    break
                if alive is not None and not alive():
                    raise HubError(f"the hub worker stopped while group {group} was behind")
                if time.monotonic() > deadline:
                    raise HubError(
                        f"group {group} did not catch up within {timeout:.0f}s; still behind "
                        f"(partition: messages) {behind}; is the hub worker running?"
                    )
                time.sleep(poll)
    return time.monotonic() - start
