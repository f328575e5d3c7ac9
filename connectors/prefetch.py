"""Connecting to Kafka while the export is read, so a run does not wait for it afterwards.

A kafka-python client learns a topic's metadata only about 100 ms after it bootstrapped (its
metadata refresh back-off), and a run needs two clients: a consumer for the topic's end offsets
(the in-flight record) and the producer. :class:`KafkaPrefetch` starts both on background
threads when the run starts; reading, validating and diffing the export hide the waiting. The
producer asks for the topic only once the consumer found it, so a missing topic fails within
the consumer's bound (:func:`connectors.readback.end_offsets`), not the producer's.

Nothing is published here and no state changes: the run still records the end offsets in its
in-flight record before the first message (offsets taken earlier are never higher, so the
read-back after a crash covers at least every message of the run).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from connectors.publisher import Publisher
from connectors.readback import end_offsets
from schemas.kafka_login import check_login
from schemas.settings import KafkaSettings

__all__ = ["KafkaPrefetch"]


class KafkaPrefetch:
    """The end offsets of ``topic`` and a warmed-up :class:`Publisher` for it, in the background."""

    def __init__(self, settings: KafkaSettings, topic: str) -> None:
        check_login(settings)  # a refused login: one clear line now, before any thread starts
        self._settings = settings
        self._topic = topic
        self._found: Future[None] = Future()
        self._taken = False
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kafka-connect")
        self._offsets = self._pool.submit(self._end_offsets)
        self._publisher = self._pool.submit(self._open_publisher)

    def _end_offsets(self) -> dict[str, int]:
        try:
            return end_offsets(self._settings, self._topic, found=self._topic_found)
        except BaseException as exc:
            if not self._found.done():
                self._found.set_exception(exc)
            raise

    def _topic_found(self) -> None:
        self._found.set_result(None)

    def _open_publisher(self) -> Publisher:
        publisher = Publisher(self._settings, self._topic)
        try:
            self._found.result()  # raises what the consumer raised (no topic, no broker)
            publisher.warm_up()
        except BaseException:
            publisher.close()
            raise
        return publisher

    def end_offsets(self) -> dict[str, int]:
        """The end offsets (``{partition: offset}``); raises what fetching them raised."""
        return self._offsets.result()

    def publisher(self) -> Publisher:
        """The producer; the caller closes it. Raises what connecting raised."""
        self._taken = True
        return self._publisher.result()

    def close(self) -> None:
        """Wait for the background work; close the producer unless it was taken."""
        self._pool.shutdown(wait=True)
        if not self._taken and self._publisher.exception() is None:
            with contextlib.suppress(Exception):
                self._publisher.result().close()

    def __enter__(self) -> KafkaPrefetch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
