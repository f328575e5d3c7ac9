"""The wijkhub demo, end to end on the broker that ``make demo`` provides.

1. starts the hub (``wijkhub worker``) as a child process;
2. publishes heartbeats from the partner side and shows the hub's answers;
3. stops the worker cleanly and removes its local state.

Every process it starts, it stops — also on failure or Ctrl-C.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from schemas.settings import KafkaSettings

PARTNERS = ("corporatie", "school", "gemeente")


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def wait_for_topics(settings: KafkaSettings, names: set[str], timeout: float = 60) -> None:
    admin = KafkaAdminClient(**settings.kafka_python_config())
    deadline = time.monotonic() + timeout
    try:
        while not names <= set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise SystemExit(f"demo: the hub did not create {sorted(names)} in {timeout}s")
            time.sleep(0.2)
    finally:
        admin.close()


def main() -> int:
    run = f"demo-{uuid.uuid4().hex[:6]}"
    workdir = Path(tempfile.mkdtemp(prefix="wijkhub-demo-"))
    env = dict(
        os.environ,
        WIJKHUB_TOPIC_PREFIX=run,
        WIJKHUB_HUB_APP_ID=f"{run}-hub",
        WIJKHUB_HUB_DATA_DIR=str(workdir / "hub"),
        WIJKHUB_HUB_WEB_PORT="0",
    )
    settings = KafkaSettings(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=run)
    step(f"starting the hub worker (topics {run}.*, broker {settings.bootstrap_servers})")
    log = (workdir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "schemas.cli", "worker"], env=env, stdout=log, stderr=log
    )
    try:
        wait_for_topics(
            settings, {settings.topic("heartbeat.v1"), settings.topic("heartbeat-ack.v1")}
        )
        step("publishing one heartbeat per partner from the connector side")
        cfg = settings.kafka_python_config()
        producer = KafkaProducer(acks="all", enable_idempotence=True, **cfg)
        for seq, partner in enumerate(PARTNERS, start=1):
            producer.send(
                settings.topic("heartbeat.v1"),
                key=partner.encode(),
                value=json.dumps({"seq": seq}).encode(),
            ).get(timeout=30)
            print(f"   sent    {partner:<11} seq={seq}")
        producer.close()
        step("the hub's answers")
        consumer = KafkaConsumer(
            settings.topic("heartbeat-ack.v1"),
            auto_offset_reset="earliest",
            consumer_timeout_ms=1000,
            **cfg,
        )
        seen: set[str] = set()
        deadline = time.monotonic() + 60
        while seen != set(PARTNERS) and time.monotonic() < deadline:
            for message in consumer:
                ack = json.loads(message.value)
                seen.add(ack["source"])
                print(f"   answer  {ack['source']:<11} seq={ack['seq']} count={ack['count']}")
        consumer.close()
        if seen != set(PARTNERS):
            print("demo: the hub did not answer every partner; worker log:", file=sys.stderr)
            print((workdir / "worker.log").read_text()[-4000:], file=sys.stderr)
            return 1
    finally:
        step("stopping the hub worker")
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.wait()
        log.close()
        print(f"   worker exited with {code}")
        shutil.rmtree(workdir, ignore_errors=True)
    step("done: the hub answered every partner")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
