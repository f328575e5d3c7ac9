"""The broker goes away under a running worker: its log stays bounded, and it recovers.

This test needs a broker it may stop, so it starts a private one with ``deploy/local/kafka.sh``
(its own ports and data directory), never the session's. The outage lasts
``WIJKHUB_TEST_OUTAGE_SECONDS`` (default 20; docs/hub.md gives the figures of a full minute).
Before the rate limit the worker wrote ~13,600 lines a minute while the broker was away.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.public import PublicKey

from schemas.catalogue import ensure_topics
from schemas.codec import decode
from schemas.models import JointActionProposal
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import init_keys, load_keys
from streams.runtime.lag import wait_caught_up
from tests.support import poison

pytestmark = pytest.mark.integration

KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "local" / "kafka.sh"
OUTAGE = float(os.environ.get("WIJKHUB_TEST_OUTAGE_SECONDS", "20"))
WINDOW = 10  # the rate limit's window in this test, so that it rolls over during the outage
PER_KIND = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A private single-node broker from deploy/local/kafka.sh."""

    def __init__(self, run_dir: Path) -> None:
        self.port = _free_port()
        self.env = {**os.environ, "WIJKHUB_KAFKA_PORT": str(self.port),
                    "WIJKHUB_KAFKA_CONTROLLER_PORT": str(_free_port()),
                    "WIJKHUB_KAFKA_RUN_DIR": str(run_dir),
                    "WIJKHUB_KAFKA_HEAP": "512m"}  # fmt: skip
        self.env.pop("KAFKA_BOOTSTRAP_SERVERS", None)

    def client_env(self) -> dict[str, str]:
        """What a client of this broker needs (``kafka.sh env``: its address, and its login
        where the script sets one up)."""
        out = self.run("env").stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def run(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(KAFKA_SH), action], env=self.env, capture_output=True,
                              text=True, timeout=180, check=False)  # fmt: skip


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path / "kafka")
    started = broker.run("start") if shutil.which("java") else None
    if started is None or started.returncode != 0:
        reason = "no java" if started is None else started.stderr[-2000:]
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot start a private broker for the outage test: {reason}")
        pytest.skip(f"cannot start a private broker: {reason}")
    try:
        yield broker
    finally:
        broker.run("stop")


def _proposal_for(settings: KafkaSettings, hh_ref: str) -> bool:
    for m in read_to_end(settings, settings.topic("proposals.v1")):
        record = decode(m.value, m.headers)
        if isinstance(record, JointActionProposal) and record.hh_ref == hh_ref:
            return True
    return False


def test_with_the_broker_away_the_log_is_bounded_and_the_worker_recovers(
    broker: Broker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = broker.client_env()
    for name, value in client.items():  # this broker's login, not the session broker's
        monkeypatch.setenv(name, value)
    settings = KafkaSettings(topic_prefix="down")
    ensure_topics(settings)
    init_keys(tmp_path / "keys")
    keys = load_keys(tmp_path / "keys")
    pub = PublicKey(bytes(keys.private_key.public_key))
    env = {**os.environ, **client,
           "WIJKHUB_TOPIC_PREFIX": "down", "WIJKHUB_HUB_APP_ID": "down-hub",
           "WIJKHUB_HUB_DATA_DIR": str(tmp_path / "hub"), "WIJKHUB_HUB_WEB_PORT": "0",
           "WIJKHUB_LOG_FORMAT": "json", "WIJKHUB_HUB_KEYS_DIR": str(tmp_path / "keys"),
           "WIJKHUB_HUB_COMMIT_INTERVAL": "0.2", "WIJKHUB_HUB_SESSION_TIMEOUT": "10",
           "WIJKHUB_LOG_RATE_LIMIT": str(PER_KIND),
           "WIJKHUB_LOG_RATE_WINDOW": str(WINDOW)}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "schemas.cli", "worker"], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    alive = lambda: worker.poll() is None  # noqa: E731

    def household(n: int) -> str:
        """Publish household ``n``'s consent, then two signals; its pseudonym."""
        import kafka

        producer = kafka.KafkaProducer(**settings.kafka_python_config(), acks="all")
        send = lambda topic, encoded: producer.send(  # noqa: E731
            settings.topic(topic), value=encoded[0], key=f"hh-{n}".encode(), headers=encoded[1]
        )
        send("ingest.consent.v1", poison.consent(pub, n))
        producer.flush()
        wait_caught_up(settings, "down-hub", timeout=120, alive=alive)
        send("ingest.wonen.v1", poison.arrears(pub, n))
        send("ingest.werk.v1", poison.work(pub, n))
        producer.flush()
        producer.close()
        wait_caught_up(settings, "down-hub", timeout=180, alive=alive)
        return poison.household(keys, n)

    try:
        assert _proposal_for(settings, household(1)), log.read_text()[-3000:]
        before = len(log.read_bytes().splitlines())
        stopped = broker.run("stop")
        assert stopped.returncode == 0, stopped.stderr
        time.sleep(OUTAGE)
        during = log.read_bytes().splitlines()[before:]
        assert broker.run("start").returncode == 0
        assert alive(), log.read_text()[-3000:]
        # recovered: a household published after the broker came back gets its proposal
        assert _proposal_for(settings, household(2)), log.read_text()[-3000:]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
    text = log.read_text("utf-8", "replace")
    per_minute = len(during) * 60 / OUTAGE
    print(f"worker log lines while the broker was away: {len(during)} in {OUTAGE:.0f} s "
          f"({per_minute:.0f} a minute; limit {PER_KIND} per kind per {WINDOW} s)")  # fmt: skip
    assert b"Logging error" not in b"\n".join(during)
    assert "similar lines suppressed" in text or "log lines suppressed" in text
    # each kind of line: PER_KIND per window, and the windows the outage spans (+1 partial)
    windows = OUTAGE / WINDOW + 1
    kinds = 25  # generous: aiokafka's connect/metadata/fetch/coordinator/heartbeat lines
    assert len(during) <= kinds * PER_KIND * windows, b"\n".join(during[-50:]).decode()
