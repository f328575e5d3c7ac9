"""The hub's stages: the ingress and household batch loops, and the Faust heartbeat agent."""

from __future__ import annotations

from typing import Any

from schemas.settings import KafkaSettings
from streams import household
from streams.agents import heartbeat, ingress
from streams.agents._metrics import Metrics, register_batch_log
from streams.config import HubSettings
from streams.keys import load_keys
from streams.rules import load_rules

__all__ = ["register_all"]


def register_all(app: Any, kafka: KafkaSettings, hub: HubSettings) -> Metrics:
    """Register every stage of the hub with ``app``; returns the hub's counters."""
    metrics = Metrics()
    heartbeat.register(app, kafka)
    keys = load_keys(hub.keys_dir)
    book = load_rules(hub.rules)
    app.wijkhub_ingress = ingress.register(app, kafka, hub, keys, metrics)
    app.wijkhub_household = household.register(app, kafka, hub, book, metrics)
    register_batch_log(app, metrics)
    return metrics
