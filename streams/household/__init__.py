"""The household stage of the hub: consent gate, state, rules, proposals, decisions, feedback.

:mod:`.batch` runs a batch of events through the pure rule engine, :mod:`.store` keeps the
state per partition, :mod:`.processor` is the aiokafka batch loop that ties them to Kafka and
runs beside the Faust app in the worker (see docs/hub.md for why it is not a Faust agent).
"""

from __future__ import annotations

from typing import Any

from schemas.settings import KafkaSettings
from streams.agents._metrics import Metrics
from streams.batchloop import run_with
from streams.config import HubSettings
from streams.household.processor import HouseholdProcessor
from streams.rules import RuleBook

__all__ = ["register"]


def register(
    app: Any, kafka: KafkaSettings, hub: HubSettings, book: RuleBook, metrics: Metrics
) -> type[HouseholdProcessor]:
    """Start a household processor with ``app`` (a Faust app) and stop it with it."""
    return run_with(app, HouseholdProcessor, kafka, hub, book, metrics)
