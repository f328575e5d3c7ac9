"""Test helpers that need a real broker: publish and read records, run the inbox server.

Everything here is synthetic (see :mod:`tests.support.inbox`).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schemas.codec import decode, encode
from schemas.models import ContractModel
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from tests.support.inbox import TEST_ACCOUNTS, coordinator_toml

__all__ = [
    "HUB_SOURCE",
    "InboxProcess",
    "LocalBroker",
    "api_call",
    "inbox_process",
    "local_broker",
    "publish_records",
    "read_records",
    "running_inbox",
]


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
                if json.loads(response.read()).get("status") == "ready":
                    return
        except OSError:  # not listening yet, or 503 while it catches up
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the inbox did not get ready in {timeout}s:\n{log.read_text()}")


@dataclass(frozen=True)
class InboxProcess:
    """A running ``wijkhub inbox serve``: its base URL, process and log file."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    store: Path


@contextmanager
def inbox_process(
    env: dict[str, str],
    workdir: Path,
    accounts: dict[str, tuple[str, list[str]]] = TEST_ACCOUNTS,
    *,
    timeout: float = 60,
    extra_env: dict[str, str] | None = None,
) -> Iterator[InboxProcess]:
    """Run ``wijkhub inbox serve`` on a free port of 127.0.0.1 until the block ends (then
    SIGTERM, SIGKILL after 20 s); yields it once the store has caught up with the topics."""
    coordinators = workdir / "coordinators.toml"
    coordinators.write_text(coordinator_toml(accounts), encoding="utf-8")
    port = _free_port()
    store = workdir / "inbox.sqlite3"
    full_env = {
        **env,
        "WIJKHUB_INBOX_COORDINATORS": str(coordinators),
        "WIJKHUB_INBOX_STORE": str(store),
        "WIJKHUB_INBOX_SESSION_SECRET": secrets.token_urlsafe(32),
        "WIJKHUB_INBOX_PORT": str(port),
        "WIJKHUB_INBOX_SOURCE": "urn:nld:oin:00000001234567890000:systeem:wijkhub-inbox",
        **(extra_env or {}),
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
        yield InboxProcess(url, proc, log, store)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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
    with inbox_process(env, workdir, accounts, timeout=timeout) as inbox:
        yield inbox.url


def api_call(
    url: str,
    path: str,
    *,
    user: str = "coord-noord",
    password: str = TEST_ACCOUNTS["coord-noord"][0],
    body: dict[str, Any] | None = None,
    address: str | None = None,
) -> tuple[int, Any, Any]:
    """One call of the inbox API with HTTP Basic; (status, parsed body, headers).

    ``address`` goes in ``X-Forwarded-For`` (counted only where the inbox trusts the caller
    as a proxy, ``WIJKHUB_INBOX_TRUSTED_PROXIES``).
    """
    method = "POST" if body is not None else "GET"
    request = urllib.request.Request(url + path, method=method)  # noqa: S310 - http://127.0.0.1
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if address:
        request.add_header("X-Forwarded-For", address)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), exc.headers


KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "local" / "kafka.sh"


class LocalBroker:
    """The local broker of ``deploy/local/kafka.sh``, to take down and bring back in a test."""

    def _run(self, action: str) -> None:
        subprocess.run(["bash", str(KAFKA_SH), action], check=True, capture_output=True)

    def stop(self) -> None:
        """``kafka.sh stop``: returns once the broker process has exited."""
        self._run("stop")

    def start(self) -> None:
        """``kafka.sh start``: returns once the broker answers again (same data, same topics)."""
        self._run("start")


def local_broker(bootstrap: str) -> LocalBroker | None:
    """The session's broker if it is the local one of ``kafka.sh`` (which a test may stop and
    start again), else ``None``: a cluster given by ``KAFKA_BOOTSTRAP_SERVERS`` is not ours to
    stop."""
    status = subprocess.run(["bash", str(KAFKA_SH), "status"], capture_output=True, check=False)
    if status.returncode != 0:
        return None
    env = subprocess.run(
        ["bash", str(KAFKA_SH), "env"], capture_output=True, text=True, check=False
    ).stdout
    local = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    if local.get("KAFKA_BOOTSTRAP_SERVERS", "").strip() != bootstrap.strip():
        return None
    return LocalBroker()
