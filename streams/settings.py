"""Settings of the hub worker, read from the environment.

``WIJKHUB_HUB_APP_ID``
    Faust application id = consumer group and prefix of the changelog topics
    (default ``wijkhub-hub``).
``WIJKHUB_HUB_STORE``
    ``rocksdb`` (default where rocksdict is installed) or ``memory``.
``WIJKHUB_HUB_DATA_DIR``
    Where the worker keeps local table state (default ``.wijkhub/hub``).
``WIJKHUB_HUB_WEB_PORT``
    Port of Faust's web server on 127.0.0.1 (default 6066), which serves ``/metrics``
    (Prometheus), ``/healthz``, ``/readyz`` and ``/livez``; ``0`` turns it off.
``WIJKHUB_HUB_PARTITIONS``
    Partitions of the topics the hub creates itself (default 4).
``WIJKHUB_HUB_KEYS_DIR``
    Directory with ``hub.key`` and ``pseudonym.key`` from ``wijkhub keys init``
    (default ``.wijkhub/keys``).
``WIJKHUB_HUB_RULES``
    A rule file (TOML, see docs/rules.md) instead of the default rules shipped with wijkhub.
``WIJKHUB_HUB_CE_SOURCE``
    CloudEvents source of what the hub publishes (NL GOV profile: a ``urn:nld:`` URN).
``WIJKHUB_HUB_COMMIT_INTERVAL``
    Seconds between offset commits (default 2.8); lower means less to redo after a crash.
``WIJKHUB_HUB_BATCH_SIZE``
    Most household events the household processor takes in one batch (default 2000).
``WIJKHUB_HUB_SESSION_TIMEOUT``
    Seconds before the broker gives a silent worker's partitions to another (default 60). A
    worker that was killed blocks its partitions this long; lower it to fail over faster.
``WIJKHUB_HUB_STALL_SECONDS``
    A stage's partition with lag whose position has not moved for this long is stalled: the
    watchdog gives the stage a new consumer (the group re-assigns its partitions); if that
    does not help either, the worker exits with status 75 for its supervisor to restart it
    (default 60; ``0`` turns the watchdog off). See docs/operations.md.
``WIJKHUB_HUB_LAG_INTERVAL``
    Seconds between two readings of the stages' end offsets and positions: the lag gauges
    and the watchdog's clock (default 5).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["HOUSEHOLD_GROUP_SUFFIX", "INGRESS_GROUP_SUFFIX", "HubSettings"]

INGRESS_GROUP_SUFFIX = ".ingress"
"""The ingress stage's consumer group is the app id plus this."""
HOUSEHOLD_GROUP_SUFFIX = ".household"
"""The household stage's consumer group is the app id plus this."""


def _default_store() -> Literal["rocksdb", "memory"]:
    return "rocksdb" if importlib.util.find_spec("rocksdict") else "memory"


class HubSettings(BaseSettings):
    """How the hub worker runs."""

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_HUB_", extra="ignore")

    app_id: str = Field(default="wijkhub-hub", pattern=r"^[A-Za-z0-9._-]+$")
    store: Literal["rocksdb", "memory"] = Field(default_factory=_default_store)
    data_dir: Path = Path(".wijkhub/hub")
    web_port: int = Field(default=6066, ge=0, le=65535)
    partitions: int = Field(default=4, ge=1)
    keys_dir: Path = Path(".wijkhub/keys")
    rules: Path | None = None
    ce_source: str = Field(
        default="urn:nld:oin:00000000000000000000:systeem:wijkhub-hub", pattern=r"^urn:\S+$"
    )
    commit_interval: float = Field(default=2.8, gt=0, le=60)
    batch_size: int = Field(default=2000, ge=1, le=100_000)
    session_timeout: float = Field(default=60.0, ge=6, le=300)
    stall_seconds: float = Field(default=60.0, ge=0, le=3600)
    lag_interval: float = Field(default=5.0, gt=0, le=60)

    @property
    def store_url(self) -> str:
        """The Faust store URL for tables."""
        return "rocksdb://" if self.store == "rocksdb" else "memory://"
