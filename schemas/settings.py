"""Settings shared by the hub, the inbox and the connectors, read from the environment.

Environment variables (all optional):

``KAFKA_BOOTSTRAP_SERVERS``
    Comma-separated ``host:port`` list of an existing cluster (default ``127.0.0.1:9092``,
    the local broker that ``deploy/local/kafka.sh`` starts).
``WIJKHUB_TOPIC_PREFIX``
    Prefix of every topic name (default ``wijkhub``); tests use a unique one each.
``WIJKHUB_KAFKA_SECURITY_PROTOCOL``
    ``PLAINTEXT`` (default), ``SASL_SSL`` (the local broker and any production cluster),
    ``SSL`` or ``SASL_PLAINTEXT``.
``WIJKHUB_KAFKA_SASL_MECHANISM``, ``WIJKHUB_KAFKA_SASL_USERNAME``
    The SASL login (``SCRAM-SHA-512``, ``SCRAM-SHA-256`` or ``PLAIN``) and the principal's
    name, for the ``SASL_*`` protocols.
``WIJKHUB_KAFKA_SASL_PASSWORD_FILE``
    A file holding the password (first line; file-based secrets such as Kubernetes or Docker
    secrets). Preferred over ``WIJKHUB_KAFKA_SASL_PASSWORD``, which takes it directly; set
    one of the two.
``WIJKHUB_KAFKA_SSL_CAFILE``
    The CA certificate (PEM) that signed the brokers' certificates; without it the system's
    CAs are trusted. The broker's host name is always checked.
``WIJKHUB_LOG_FORMAT``
    ``json`` or ``console``; by default console on a terminal, JSON otherwise.
``WIJKHUB_LOG_LEVEL``
    ``debug``, ``info`` (default), ``warning`` or ``error``.
``WIJKHUB_LOG_RATE_LIMIT``, ``WIJKHUB_LOG_RATE_WINDOW``
    At most this many warnings or errors of one kind per window (default 10 per 60 seconds);
    the rest are counted and reported in one line. ``0`` turns the limit off.

``deploy/local/kafka.sh env`` prints the Kafka variables for the local broker.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.errors import ConfigError, KafkaAuthError

__all__ = ["KafkaSettings", "LogSettings"]

_LOCAL = "for the local broker, `deploy/local/kafka.sh env` prints every setting"


class KafkaSettings(BaseSettings):
    """How to reach Kafka, and as whom. A dump or repr never shows the password.

    Every Kafka client of wijkhub takes its connection arguments from here:
    :meth:`kafka_python_config` (kafka-python), :meth:`aiokafka_config` (aiokafka) and
    :meth:`ssl_context` (also for Faust's ``broker_credentials``).
    """

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
    sasl_password_file: Path | None = None
    ssl_cafile: Path | None = None

    @model_validator(mode="after")
    def _security(self) -> KafkaSettings:
        """Read the password file; refuse settings that would connect other than meant."""
        if self.sasl_password_file is not None:
            if self.sasl_password is not None:
                raise ConfigError(
                    "both WIJKHUB_KAFKA_SASL_PASSWORD and WIJKHUB_KAFKA_SASL_PASSWORD_FILE are "
                    "set; keep one (the file keeps the password out of the environment)"
                )
            self.sasl_password = self._read_password(self.sasl_password_file)
        if self.security_protocol.startswith("SASL_"):
            wanted = (
                ("WIJKHUB_KAFKA_SASL_MECHANISM", self.sasl_mechanism),
                ("WIJKHUB_KAFKA_SASL_USERNAME", self.sasl_username),
                ("WIJKHUB_KAFKA_SASL_PASSWORD_FILE (or _PASSWORD)", self.sasl_password),
            )
            missing = [name for name, value in wanted if not value]
            if missing:
                raise ConfigError(
                    f"WIJKHUB_KAFKA_SECURITY_PROTOCOL={self.security_protocol} logs in, but "
                    f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set; "
                    f"set {'it' if len(missing) == 1 else 'them'} ({_LOCAL})"
                )
        elif self.sasl_mechanism or self.sasl_username or self.sasl_password:
            raise ConfigError(
                "WIJKHUB_KAFKA_SASL_* credentials are set, but WIJKHUB_KAFKA_SECURITY_PROTOCOL="
                f"{self.security_protocol} sends no login; set it to SASL_SSL"
            )
        if self.ssl_cafile is not None:
            if "SSL" not in self.security_protocol:
                raise ConfigError(
                    "WIJKHUB_KAFKA_SSL_CAFILE is set, but WIJKHUB_KAFKA_SECURITY_PROTOCOL="
                    f"{self.security_protocol} does not use TLS; set it to SASL_SSL (or SSL)"
                )
            self.ssl_context()  # a missing or unreadable CA file fails now, by its name
        return self

    def _read_password(self, path: Path) -> SecretStr:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise KafkaAuthError(
                f"cannot read the password file {path} (WIJKHUB_KAFKA_SASL_PASSWORD_FILE) of "
                f"principal {self.principal!r}: {reason}; point it at a readable file holding "
                f"the password ({_LOCAL})"
            ) from None
        if not lines or not lines[0].strip():
            raise KafkaAuthError(
                f"the password file {path} (WIJKHUB_KAFKA_SASL_PASSWORD_FILE) of principal "
                f"{self.principal!r} is empty; write the password on its first line"
            )
        return SecretStr(lines[0].strip())

    @property
    def principal(self) -> str:
        """Whom the cluster sees: the SASL user name, or ``anonymous`` without a login."""
        if self.security_protocol.startswith("SASL_") and self.sasl_username:
            return self.sasl_username
        return "anonymous"

    @property
    def servers(self) -> list[str]:
        """The bootstrap servers as a list."""
        return [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()]

    def topic(self, name: str) -> str:
        """The full name of a catalogue topic, e.g. ``topic("proposals.v1")``."""
        return f"{self.topic_prefix}.{name}"

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS client context trusting ``ssl_cafile`` (else the system's CAs); it checks the
        broker's certificate and host name. :class:`KafkaAuthError` if the CA cannot be read."""
        cafile = str(self.ssl_cafile) if self.ssl_cafile is not None else None
        try:
            return ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            reason = exc.strerror or "not a PEM certificate"
            raise KafkaAuthError(
                f"cannot load the CA certificate {cafile} (WIJKHUB_KAFKA_SSL_CAFILE) to connect "
                f"principal {self.principal!r} to {self.bootstrap_servers} over TLS: {reason}; "
                "point it at the PEM file of the CA that signed the brokers' certificates "
                f"({_LOCAL})"
            ) from None

    def kafka_python_config(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python clients (producer, consumer, admin)."""
        cfg: dict[str, Any] = {
            "bootstrap_servers": self.servers,
            "security_protocol": self.security_protocol,
        }
        if "SSL" in self.security_protocol:
            cfg["ssl_context"] = self.ssl_context()
        if self.security_protocol.startswith("SASL_"):
            cfg["sasl_mechanism"] = self.sasl_mechanism
            cfg["sasl_plain_username"] = self.sasl_username
            cfg["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return cfg

    def aiokafka_config(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka clients (the hub's batch loops).

        aiokafka takes the same names as kafka-python for these (``security_protocol``,
        ``ssl_context``, ``sasl_*``), so both come from one place.
        """
        return self.kafka_python_config()


class LogSettings(BaseSettings):
    """How wijkhub logs."""

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_LOG_", extra="ignore")

    format: Literal["json", "console", "auto"] = "auto"
    level: Literal["debug", "info", "warning", "error"] = "info"
    rate_limit: int = Field(default=10, ge=0)
    rate_window: float = Field(default=60.0, gt=0)
