"""Topics the hub owns, created idempotently before the worker starts.

The broker does not auto-create topics (neither our local one nor a well-run cluster), and
Faust only declares its own changelog topics, so the worker creates the topics it reads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["ensure_topics"]

log = get_logger(__name__)


def ensure_topics(kafka: KafkaSettings, names: Iterable[str], partitions: int) -> list[str]:
    """Create the topics ``names`` (full names) that do not exist yet; return those created."""
    admin = KafkaAdminClient(client_id="wijkhub-hub-admin", **kafka.kafka_python_config())
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            # another worker may be first: that is the state we want
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=1) for n in missing]
                )
            log.info("topics created", topics=missing)
        return missing
    finally:
        admin.close()
