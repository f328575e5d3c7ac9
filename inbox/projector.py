"""Keeps the view store up to date from ``proposals.v1`` and ``decisions.v1``.

:func:`project` applies one decoded record; :class:`Projector` is a background thread with a
kafka-python consumer that assigns itself every partition (no consumer group: each inbox has
its own store) and resumes from the positions the store recorded with its data.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from inbox.store import Position, ProposalStore
from schemas.codec import decode_message
from schemas.errors import DecodeError
from schemas.logging import get_logger
from schemas.models import CoordinatorDecision, JointActionProposal, ProposalRetraction
from schemas.settings import KafkaSettings

__all__ = ["SOURCE_TOPICS", "Projector", "project"]

SOURCE_TOPICS = ("proposals.v1", "decisions.v1")
_log = get_logger(__name__)


def project(store: ProposalStore, record: object, at: Position | None = None) -> bool:
    """Apply ``record`` to ``store``; ``False`` if it is not a record the inbox keeps."""
    if isinstance(record, JointActionProposal):
        store.apply_proposal(record, at)
    elif isinstance(record, ProposalRetraction):
        store.apply_retraction(record, at)
    elif isinstance(record, CoordinatorDecision):
        store.apply_decision(record, at)
    else:
        return False
    return True


class Projector(threading.Thread):
    """Background consumer that projects the topics into the store until :meth:`stop`."""

    def __init__(
        self, settings: KafkaSettings, store: ProposalStore, *, poll_ms: int = 500
    ) -> None:
        super().__init__(name="inbox-projector", daemon=True)
        self._settings = settings
        self._store = store
        self._poll_ms = poll_ms
        self._stopping = threading.Event()
        self.caught_up = threading.Event()
        """Set once everything that was on the topics at start-up is in the store."""
        self.error: BaseException | None = None

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for it."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # logged and kept for the health check, never silent
            self.error = exc
            _log.exception("inbox projector stopped", error=type(exc).__name__)

    def _run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        consumer: Any = KafkaConsumer(
            **self._settings.kafka_python_config(), enable_auto_commit=False, group_id=None
        )
        try:
            names = [self._settings.topic(t) for t in SOURCE_TOPICS]
            partitions: list[Any] = []
            while not self._stopping.is_set():
                partitions = [
                    TopicPartition(name, p)
                    for name in names
                    for p in sorted(consumer.partitions_for_topic(name) or ())
                ]
                if {tp.topic for tp in partitions} == set(names):
                    break
                time.sleep(1.0)  # topics not created yet (`wijkhub topics create`)
            consumer.assign(partitions)
            stored = self._store.positions()
            for tp in partitions:
                if (tp.topic, tp.partition) in stored:
                    consumer.seek(tp, stored[(tp.topic, tp.partition)])
                else:
                    consumer.seek_to_beginning(tp)
            targets = consumer.end_offsets(partitions)
            while not self._stopping.is_set():
                batch = consumer.poll(timeout_ms=self._poll_ms)
                applied = sum(self._apply(m) for msgs in batch.values() for m in msgs)
                if applied:
                    _log.info("inbox store updated", records=applied)
                if not self.caught_up.is_set() and all(
                    consumer.position(tp) >= end for tp, end in targets.items()
                ):
                    self.caught_up.set()
        finally:
            consumer.close()

    def _apply(self, message: Any) -> bool:
        at = Position(message.topic, message.partition, message.offset)
        try:
            record = decode_message(message)
        except DecodeError as exc:
            _log.warning("inbox skipped a message", reason=exc.reason, where=exc.where)
            return False
        return project(self._store, record, at)
