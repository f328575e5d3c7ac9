"""A message published on the partner side is consumed by a Faust agent of the hub.

The worker runs as a real ``wijkhub worker`` process against the real broker; the table
behind the agent must survive a restart (its count goes on where it stopped).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from schemas.settings import KafkaSettings
from streams.ingress.keys import init_keys

pytestmark = pytest.mark.integration


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    keys = log.parent / "keys"
    if not keys.exists():  # the hub needs its keys to start (streams/keys.py)
        init_keys(keys)
    env = {**env, "WIJKHUB_HUB_KEYS_DIR": str(keys)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "schemas.cli", "worker"], env=env, stdout=out, stderr=out
        )


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def _wait_for_topics(settings: KafkaSettings, names: set[str], timeout: float = 60) -> None:
    admin = KafkaAdminClient(**settings.kafka_python_config())
    deadline = time.monotonic() + timeout
    try:
        while not names <= set(admin.list_topics()):
            assert time.monotonic() < deadline, f"the worker did not create {names}"
            time.sleep(0.2)
    finally:
        admin.close()


def _ping_until_acked(settings: KafkaSettings, seqs: list[int], timeout: float = 90) -> list[dict]:
    """Publish heartbeats ``seqs`` and return the acks, once the worker answers them all."""
    cfg = settings.kafka_python_config()
    _wait_for_topics(settings, {settings.topic("heartbeat.v1"), settings.topic("heartbeat-ack.v1")})
    producer = KafkaProducer(acks="all", **cfg)
    consumer = KafkaConsumer(
        settings.topic("heartbeat-ack.v1"),
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
        **cfg,
    )
    sent = [
        producer.send(
            settings.topic("heartbeat.v1"),
            key=b"corporatie",
            value=json.dumps({"seq": seq}).encode(),
        )
        for seq in seqs
    ]
    producer.flush()
    for future in sent:
        future.get(timeout=30)  # delivery confirmed, or the test fails here
    producer.close()
    acks: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not set(seqs) <= {a["seq"] for a in acks}:
        acks.extend(json.loads(m.value) for m in consumer)
    consumer.close()
    return acks


def test_agent_answers_and_state_survives_restart(
    kafka_settings: KafkaSettings, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    worker = _start_worker(kafka_env, log)
    try:
        first = _ping_until_acked(kafka_settings, [1, 2, 3])
    finally:
        code = _stop(worker)
    assert sorted(a["seq"] for a in first) == [1, 2, 3], log.read_text()[-3000:]
    assert max(a["count"] for a in first) == 3
    assert code == 0, log.read_text()[-3000:]

    worker = _start_worker(kafka_env, log)
    try:
        second = _ping_until_acked(kafka_settings, [4])
    finally:
        _stop(worker)
    after_restart = [a for a in second if a["seq"] == 4]
    assert after_restart, log.read_text()[-3000:]
    # the fourth heartbeat of this source: the table kept the first three across the restart
    assert after_restart[0]["count"] == 4
