"""Settings shared by the hub and the connectors, read from the environment.

Environment variables (all optional):

``KAFKA_BOOTSTRAP_SERVERS``
    Comma-separated ``host:port`` list of an existing cluster (default ``127.0.0.1:9092``,
    the local broker that ``deploy/local/kafka.sh`` starts).
``WIJKHUB_TOPIC_PREFIX``
    Prefix of every topic name (default ``wijkhub``); tests use a unique one each.
``WIJKHUB_KAFKA_SECURITY_PROTOCOL``, ``WIJKHUB_KAFKA_SASL_MECHANISM``,
``WIJKHUB_KAFKA_SASL_USERNAME``, ``WIJKHUB_KAFKA_SASL_PASSWORD``
    Per-partner credentials (SASL/SCRAM) where the cluster asks for them.
``WIJKHUB_LOG_FORMAT``
    ``json`` or ``console``; by default console on a terminal, JSON otherwise.
``WIJKHUB_LOG_LEVEL``
    ``debug``, ``info`` (default), ``warning`` or ``error``.
``WIJKHUB_LOG_RATE_LIMIT``, ``WIJKHUB_LOG_RATE_WINDOW``
    At most this many warnings or errors of one kind per window (default 10 per 60 seconds);
    the rest are counted and reported in one line. ``0`` turns the limit off.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["KafkaSettings", "LogSettings"]


class KafkaSettings(BaseSettings):
    """How to reach Kafka. A dump never shows the password."""

    model_config = SettingsConfigDict(
        env_prefix="WIJKHUB_KAFKA_", extra="ignore", populate_by_name=True
    )

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "WIJKHUB_KAFKA_BOOTSTRAP_SERVERS"),
    )
    topic_prefix: str = Field(
        default="wijkhub",
        validation_alias=AliasChoices("WIJKHUB_TOPIC_PREFIX", "WIJKHUB_KAFKA_TOPIC_PREFIX"),
        pattern=r"^[A-Za-z0-9._-]+$",
    )
    security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None

    @property
    def servers(self) -> list[str]:
        """The bootstrap servers as a list."""
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def topic(self, name: str) -> str:
        """The full name of a catalogue topic, e.g. ``topic("proposals.v1")``."""
        return f"{self.topic_prefix}.{name}"

    def kafka_python_config(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python clients (producer, consumer, admin)."""
        cfg: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            cfg["sasl_mechanism"] = self.sasl_mechanism
            cfg["sasl_plain_username"] = self.sasl_username
            cfg["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return cfg


class LogSettings(BaseSettings):
    """How wijkhub logs."""

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_LOG_", extra="ignore")

    format: Literal["json", "console", "auto"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"
    rate_limit: int = Field(default=10, ge=0)
    rate_window: float = Field(default=60.0, gt=0)
