"""A batch loop that fails takes its worker down (exit status 1) and commits nothing of the
batch it failed on: the next start processes it again, nothing is skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaProducer

from schemas.catalogue import ensure_topics
from schemas.settings import KafkaSettings
from streams.runtime import heartbeat
from streams.runtime.lag import GroupLag

pytestmark = pytest.mark.integration

WORKER = """
import faust
from schemas.settings import KafkaSettings
from streams.runtime.batchloop import BatchLoop, run_with
from streams.settings import HubSettings

class Failing(BatchLoop):
    async def handle(self, fetched):
        raise RuntimeError("a stage that cannot go on")

kafka, hub = KafkaSettings(), HubSettings()
app = faust.App(hub.app_id, broker=f"kafka://{kafka.bootstrap_servers}", web_enabled=False,
                store="memory://", datadir=str(hub.data_dir), autodiscover=False)
run_with(app, Failing, kafka, hub, hub.app_id + ".failing", [kafka.topic("heartbeat.v1")])
worker = faust.Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False)
worker.spinner = None
worker.execute_from_commandline()
"""


def test_a_failing_loop_stops_the_worker_without_committing(
    kafka_settings: KafkaSettings, kafka_env: dict[str, str], tmp_path: Path
) -> None:
    ensure_topics(kafka_settings, catalogue=heartbeat.TOPICS)
    topic = kafka_settings.topic(heartbeat.TOPIC)
    producer = KafkaProducer(**kafka_settings.kafka_python_config(), acks="all")
    producer.send(topic, key=b"partner", value=b"{}")
    producer.flush()
    producer.close()
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=kafka_env, cwd=tmp_path, capture_output=True,
        timeout=120, check=False,
    )  # fmt: skip
    log = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 1, log[-3000:]
    assert "batch loop failed" in log
    assert "a stage that cannot go on" in log
    with GroupLag(kafka_settings, kafka_env["WIJKHUB_HUB_APP_ID"] + ".failing") as lag:
        assert sum(lag.lag([topic]).values()) == 1, "the failed batch must stay uncommitted"
