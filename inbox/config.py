"""Settings of the coordinator inbox, read from the environment.

``WIJKHUB_INBOX_COORDINATORS``
    TOML file with the coordinators' accounts (see :mod:`inbox.coordinators`);
    default ``.wijkhub/inbox/coordinators.toml``.
``WIJKHUB_INBOX_STORE``
    Where the view store lives: a SQLite file path, ``sqlite:///path``, or ``:memory:``
    (default ``.wijkhub/inbox/inbox.sqlite3``), or a PostgreSQL URL without a password,
    ``postgresql://user@host:port/dbname`` (libpq parameters such as ``sslmode`` go in the
    query string). The store is rebuilt from the topics: empty it and the inbox reads them
    again from the start.
``WIJKHUB_INBOX_STORE_PASSWORD``
    The PostgreSQL password (or use libpq's ``PGPASSWORD`` or ``~/.pgpass``).
``WIJKHUB_INBOX_SESSION_SECRET``
    Key that signs session cookies (32+ characters). Required by ``wijkhub inbox serve``.
``WIJKHUB_INBOX_HOST``, ``WIJKHUB_INBOX_PORT``
    Where the web server listens (default ``127.0.0.1:8080``).
``WIJKHUB_INBOX_COOKIE_SECURE``
    ``true`` behind a TLS-terminating proxy: the session cookie is then sent over HTTPS only.
``WIJKHUB_INBOX_SOURCE``
    CloudEvents source of the decisions and audit entries the inbox publishes (a URN, e.g.
    ``urn:nld:oin:00000001234567890000:systeem:wijkhub-inbox``).
``WIJKHUB_INBOX_SESSION_HOURS``
    How long a login lasts (default 8).
``WIJKHUB_INBOX_KAFKA_TIMEOUT_S``
    How long a page or API call waits at most for Kafka to acknowledge an audit entry or a
    decision before it is refused with 503 (default 5 seconds).
``WIJKHUB_INBOX_TRUSTED_PROXIES``
    Comma-separated addresses of the reverse proxies whose ``X-Forwarded-For`` names the
    client (login throttling counts per client address); default none: the address of the
    connection itself. ``*`` trusts any, which is only right behind a proxy that is the sole
    way in.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["InboxSettings"]


class InboxSettings(BaseSettings):
    """How the inbox runs. A dump never shows the session secret or the store password."""

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_INBOX_", extra="ignore")

    coordinators: Path = Path(".wijkhub/inbox/coordinators.toml")
    store: str = ".wijkhub/inbox/inbox.sqlite3"
    store_password: SecretStr | None = None
    session_secret: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    cookie_secure: bool = False
    source: str = "urn:nld:wijkhub:systeem:inbox"
    session_hours: int = Field(default=8, ge=1, le=24)
    kafka_timeout_s: float = Field(default=5.0, ge=1.0, le=60.0)
    trusted_proxies: str = ""
