"""Fixtures shared by every test.

The broker: ``KAFKA_BOOTSTRAP_SERVERS`` when set; otherwise the local single-node broker
(``deploy/local/kafka.sh``, started here and stopped at the end if this session started it);
otherwise testcontainers' Kafka when a Docker engine answers. With ``CI=true`` an unavailable
broker fails the run — it is never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from schemas.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"
PROBE = ROOT / "deploy" / "local" / "probe.py"


def _answers(bootstrap: str) -> bool:
    first = bootstrap.split(",", maxsplit=1)[0].strip()
    result = subprocess.run(
        [sys.executable, str(PROBE), first, "5"], capture_output=True, check=False
    )
    return result.returncode == 0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"no Kafka broker for the integration tests: {reason}", pytrace=False)
    pytest.skip(f"no Kafka broker: {reason}")


def _docker_kafka() -> Iterator[str] | None:
    if not shutil.which("docker"):
        return None
    probe = subprocess.run(["docker", "info"], capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    from testcontainers.kafka import KafkaContainer

    def gen() -> Iterator[str]:
        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()

    return gen()


@pytest.fixture(scope="session")
def bootstrap_servers() -> Iterator[str]:
    """``host:port`` of a real Kafka broker for this test session."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        if not _answers(configured):
            _unavailable(f"KAFKA_BOOTSTRAP_SERVERS={configured} does not answer")
        yield configured
        return
    if shutil.which("java"):
        port = os.environ.get("WIJKHUB_KAFKA_PORT", "9092")
        bootstrap = f"127.0.0.1:{port}"
        already = _answers(bootstrap)
        started = subprocess.run(["bash", str(KAFKA_SH), "start"], check=False)
        if started.returncode != 0:
            _unavailable(f"{KAFKA_SH} start failed (exit {started.returncode})")
        try:
            yield bootstrap
        finally:
            if not already:
                subprocess.run(["bash", str(KAFKA_SH), "stop"], check=False)
        return
    docker = _docker_kafka()
    if docker is not None:
        yield from docker
        return
    _unavailable("set KAFKA_BOOTSTRAP_SERVERS, or install Java 17+ and Maven, or run Docker")


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Make names (topics, groups, app ids) that no other test uses."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def kafka_settings(bootstrap_servers: str, unique_name: Callable[[str], str]) -> KafkaSettings:
    """Settings for this test: the session's broker and a topic prefix of its own."""
    return KafkaSettings(bootstrap_servers=bootstrap_servers, topic_prefix=unique_name("t"))


@pytest.fixture
def kafka_env(kafka_settings: KafkaSettings, tmp_path: Path) -> dict[str, str]:
    """Environment for a ``wijkhub`` subprocess that talks to this test's topics."""
    env = dict(os.environ)
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
            "WIJKHUB_TOPIC_PREFIX": kafka_settings.topic_prefix,
            "WIJKHUB_HUB_APP_ID": f"{kafka_settings.topic_prefix}-hub",
            "WIJKHUB_HUB_DATA_DIR": str(tmp_path / "hub"),
            "WIJKHUB_HUB_WEB_PORT": "0",
            "WIJKHUB_LOG_FORMAT": "json",
        }
    )
    return env
