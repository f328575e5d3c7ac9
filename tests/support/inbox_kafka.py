"""Test helpers that need a real broker: publish and read records, run the inbox server.

Everything here is synthetic (see :mod:`tests.support.inbox`).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from schemas.codec import decode, encode
from schemas.models import ContractModel
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from tests.support.inbox import TEST_ACCOUNTS, coordinator_toml

__all__ = ["HUB_SOURCE", "publish_records", "read_records", "running_inbox"]


HUB_SOURCE = "urn:nld:oin:00000001234567890000:systeem:wijkhub-test"


def publish_records(settings: KafkaSettings, topic: str, records: list[ContractModel]) -> None:
    """Publish records (key: their ``hh_ref``) to a catalogue topic on a real broker."""
    from kafka import KafkaProducer

    producer: Any = KafkaProducer(**settings.kafka_python_config(), acks="all")
    try:
        for record in records:
            encoded = encode(record, source=HUB_SOURCE)
            key = str(getattr(record, "hh_ref", "")).encode("ascii")
            producer.send(
                settings.topic(topic), key=key, value=encoded.value, headers=encoded.headers
            ).get(timeout=30)
    finally:
        producer.close()


def read_records(settings: KafkaSettings, topic: str, *, timeout: float = 30) -> list[object]:
    """Every record now on a catalogue topic, decoded (headers checked)."""
    messages = read_to_end(settings, settings.topic(topic), timeout=timeout)
    return [decode(m.value, m.headers) for m in messages]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the inbox exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if b'"ready"' in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the inbox did not get ready in {timeout}s:\n{log.read_text()}")


@contextmanager
def running_inbox(
    env: dict[str, str],
    workdir: Path,
    accounts: dict[str, tuple[str, list[str]]] = TEST_ACCOUNTS,
    *,
    timeout: float = 60,
) -> Iterator[str]:
    """Run ``wijkhub inbox serve`` on a free port of 127.0.0.1 until the block ends.

    ``env`` points it at Kafka and a topic prefix; yields the base URL once the store has
    caught up with the topics.
    """
    coordinators = workdir / "coordinators.toml"
    coordinators.write_text(coordinator_toml(accounts), encoding="utf-8")
    port = _free_port()
    full_env = {
        **env,
        "WIJKHUB_INBOX_COORDINATORS": str(coordinators),
        "WIJKHUB_INBOX_STORE": str(workdir / "inbox.sqlite3"),
        "WIJKHUB_INBOX_SESSION_SECRET": secrets.token_urlsafe(32),
        "WIJKHUB_INBOX_PORT": str(port),
        "WIJKHUB_INBOX_SOURCE": "urn:nld:oin:00000001234567890000:systeem:wijkhub-inbox",
    }
    log = workdir / "inbox.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "schemas.cli", "inbox", "serve"],
            env=full_env,
            stdout=out,
            stderr=out,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url, proc, log, timeout)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
