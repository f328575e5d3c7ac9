"""The hub's agents. Each module has a ``register(app, kafka)`` that adds its agents."""

from __future__ import annotations

from typing import Any

from schemas.settings import KafkaSettings
from streams.agents import heartbeat

__all__ = ["register_all", "topic_names"]


def register_all(app: Any, kafka: KafkaSettings) -> None:
    """Register every agent of the hub on ``app``."""
    heartbeat.register(app, kafka)


def topic_names(kafka: KafkaSettings) -> list[str]:
    """Full names of the topics the hub's agents read and write."""
    return [kafka.topic(heartbeat.TOPIC), kafka.topic(heartbeat.ACK_TOPIC)]
