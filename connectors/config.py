"""Connector settings, read from the environment (pydantic-settings).

Environment variables:

``WIJKHUB_HUB_PUBLIC_KEY``
    Path of the hub's public key file (``hub.pub`` from ``wijkhub keys init``); the only key
    a connector needs. Default ``hub.pub`` in the working directory.
``WIJKHUB_STATE_DIR``
    Directory for the connector's state: the previous snapshot (keyed hashes, sealed subjects
    and minimised facts only), the in-flight record, and the partner's row-key secret
    (mode 0600; back it up, never send it anywhere). Default ``.wijkhub/state``.
``WIJKHUB_STATE_HISTORY``
    How many committed states to keep for ``wijkhub connector state show|rollback``
    (default 5; hard links, so a kept state costs no space until it is replaced).
``WIJKHUB_CONFIRM_EVERY``
    Confirm delivery every this many messages (default 5000): bounds memory and shows
    progress in delivered, not queued, messages.

Kafka itself is configured by :class:`schemas.settings.KafkaSettings`
(``KAFKA_BOOTSTRAP_SERVERS``, ``WIJKHUB_TOPIC_PREFIX``, SASL credentials).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConnectorSettings"]


class ConnectorSettings(BaseSettings):
    """Where a connector finds the hub's public key and keeps its state."""

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_", extra="ignore")

    hub_public_key: Path = Path("hub.pub")
    state_dir: Path = Path(".wijkhub/state")
    state_history: int = Field(default=5, ge=1, le=1000)
    confirm_every: int = Field(default=5000, ge=1)
