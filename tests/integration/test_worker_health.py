"""The worker's ``/healthz`` and ``/readyz`` tell the truth when the broker goes away.

A private broker (as in test_broker_down.py: stopping the session's would disturb other
tests) under a running worker: ready before; within a few seconds of the broker stopping both
endpoints answer 503 "broker down" — each answer at once, from what the worker knows, never
waiting for Kafka — while ``/livez`` stays 200; ready again once the broker is back.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.catalogue import ensure_topics
from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys
from tests.integration.test_broker_down import Broker

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    import shutil

    broker = Broker(tmp_path / "kafka")
    started = broker.run("start") if shutil.which("java") else None
    if started is None or started.returncode != 0:
        reason = "no java" if started is None else started.stderr[-2000:]
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot start a private broker for the health test: {reason}")
        pytest.skip(f"cannot start a private broker: {reason}")
    try:
        yield broker
    finally:
        broker.run("stop")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def probe(url: str) -> tuple[int, dict[str, object], float]:
    """(status, body, seconds) of one GET."""
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        status, body = exc.code, json.loads(exc.read())
    return status, body, time.monotonic() - t0


def until(url: str, status: int, timeout: float) -> tuple[dict[str, object], float]:
    """Poll ``url`` until it answers ``status``; (its body, seconds waited)."""
    t0 = time.monotonic()
    while True:
        try:
            got, body, _ = probe(url)
            if got == status:
                return body, time.monotonic() - t0
        except OSError:
            pass  # not listening yet
        assert time.monotonic() - t0 < timeout, f"{url} did not answer {status} in {timeout}s"
        time.sleep(0.2)


def test_health_says_not_ready_at_once_when_the_broker_stops(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = broker.client_env()
    for name, value in client.items():  # this broker's login, not the session broker's
        monkeypatch.setenv(name, value)
    ensure_topics(KafkaSettings(topic_prefix="health"))
    init_keys(tmp_path / "keys")
    port = _free_port()
    env = {**os.environ, **client,
           "WIJKHUB_TOPIC_PREFIX": "health", "WIJKHUB_HUB_APP_ID": "health-hub",
           "WIJKHUB_HUB_DATA_DIR": str(tmp_path / "hub"), "WIJKHUB_HUB_WEB_PORT": str(port),
           "WIJKHUB_LOG_FORMAT": "json", "WIJKHUB_HUB_KEYS_DIR": str(tmp_path / "keys"),
           "WIJKHUB_HUB_SESSION_TIMEOUT": "10"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "schemas.cli", "worker"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        ready, _ = until(f"{url}/readyz", 200, 90)
        assert ready["broker"] == "up"
        assert probe(f"{url}/healthz")[0] == 200
        t_stop = time.monotonic()
        stopped = broker.run("stop")  # returns once the broker process has exited
        stop_took = time.monotonic() - t_stop
        assert stopped.returncode == 0, stopped.stderr
        down, _ = until(f"{url}/readyz", 503, 15)
        noticed_in = time.monotonic() - t_stop
        statuses = [probe(f"{url}/{path}") for path in ("healthz", "readyz") for _ in range(5)]
        slowest = max(seconds for _, _, seconds in statuses)
        assert {status for status, _, _ in statuses} == {503}
        assert down["broker"] == "down"
        assert any(str(p).startswith("broker: no answer") for p in down["problems"])  # type: ignore[union-attr]
        assert probe(f"{url}/livez")[0] == 200  # alive: no liveness restart for an outage
        print(f"\nbroker stopped (kafka.sh stop took {stop_took:.1f} s): /readyz 503 within "
              f"{noticed_in:.1f} s of the stop command; slowest of 10 "
              f"answers while down: {slowest * 1000:.0f} ms; body: {json.dumps(down)}")  # fmt: skip
        assert slowest < 1.0, "health must answer from what the worker knows, not wait for Kafka"
        assert broker.run("start").returncode == 0
        _, back_in = until(f"{url}/readyz", 200, 120)
        print(f"broker back: /readyz 200 after {back_in:.1f} s")
        assert worker.poll() is None, log.read_text()[-3000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
