"""The wijkhub demo, end to end on the broker that ``make demo`` provides.

1. generates synthetic exports (``wijkhub generate``) and the hub's keys;
2. starts the hub (``wijkhub worker``);
3. runs the three connectors month by month (consent first), letting the hub catch up
   between exports so the run is the same every time;
4. prints the proposals on ``proposals.v1`` as a table, stops the worker, cleans up.

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

from kafka import KafkaConsumer, TopicPartition

from schemas.codec import decode
from schemas.models import JointActionProposal, ProposalRetraction
from schemas.settings import KafkaSettings

HOUSEHOLDS = int(os.environ.get("WIJKHUB_DEMO_HOUSEHOLDS", "1000"))
ORDER = (  # consent first: a signal is only kept for a household that consented
    ("gemeente", "gemeente_toestemming", "toestemming.toml"),
    ("gemeente", "gemeente_werk", "werk.toml"),
    ("corporation", "corporatie_huurachterstand", "huurachterstand.toml"),
    ("school", "school_verzuim", "verzuim.toml"),
)
WATCHED = ("ingest.consent.v1", "ingest.werk.v1", "ingest.wonen.v1", "ingest.school.v1",
           "household-events.v1")  # fmt: skip
CHILDREN: list[subprocess.Popen[bytes]] = []


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def wijkhub(*args: str, env: dict[str, str], log: Path | None = None) -> int:
    out = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen([sys.executable, "-m", "schemas.cli", *args], env=env,
                            stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    CHILDREN.append(proc)
    try:
        return proc.wait(timeout=300)
    finally:
        CHILDREN.remove(proc)


def caught_up(settings: KafkaSettings, group: str, timeout: float = 90) -> None:
    """Wait until the hub committed every message of the watched topics."""
    consumer = KafkaConsumer(group_id=group, enable_auto_commit=False,
                             **settings.kafka_python_config())  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            parts = [TopicPartition(settings.topic(t), p) for t in WATCHED
                     for p in consumer.partitions_for_topic(settings.topic(t)) or ()]  # fmt: skip
            ends = consumer.end_offsets(parts)
            if parts and all((consumer.committed(tp) or 0) >= ends[tp] for tp in parts):
                return
            time.sleep(0.5)
        raise SystemExit(f"demo: the hub did not catch up within {timeout}s")
    finally:
        consumer.close()


def read_proposals(settings: KafkaSettings) -> tuple[dict, set]:
    consumer = KafkaConsumer(
        settings.topic("proposals.v1"),
        auto_offset_reset="earliest",
        consumer_timeout_ms=3000,
        **settings.kafka_python_config(),
    )
    proposals: dict = {}
    retracted: set = set()
    for message in consumer:
        record = decode(message.value, message.headers)
        if isinstance(record, JointActionProposal):
            proposals[record.proposal_id] = record
        elif isinstance(record, ProposalRetraction):
            retracted.add(record.proposal_id)
    consumer.close()
    return proposals, retracted


def show(proposals: dict, retracted: set) -> None:
    rows = sorted(proposals.values(), key=lambda p: (p.respond_by, p.priority.value))
    print(f"   {'proposal':<10} {'prio':<7} {'rule':<14} {'respond by':<11} {'intake':<16} "
          f"{'buurt':<11} {'signals (domain: kind since)':<40} state")  # fmt: skip
    for p in rows:
        signals = ", ".join(f"{s.domain.value}: {s.kind.value} {s.since:%d-%m}" for s in p.signals)
        state = "retracted" if p.proposal_id in retracted else "open"
        print(f"   {str(p.proposal_id)[:8]:<10} {p.priority.value:<7} {p.rule:<14} "
              f"{p.respond_by.isoformat():<11} {p.intake_ref:<16} {p.buurt_code or '-':<11} "
              f"{signals:<40} {state}")  # fmt: skip
    print(f"\n   {len(rows)} proposals, {len(retracted)} retracted")


def run(workdir: Path) -> int:
    run_id = f"demo-{uuid.uuid4().hex[:6]}"
    env = dict(os.environ, WIJKHUB_TOPIC_PREFIX=run_id, WIJKHUB_HUB_APP_ID=f"{run_id}-hub",
               WIJKHUB_HUB_DATA_DIR=str(workdir / "hub"), WIJKHUB_HUB_WEB_PORT="0",
               WIJKHUB_HUB_KEYS_DIR=str(workdir / "keys"), WIJKHUB_HUB_COMMIT_INTERVAL="0.5",
               WIJKHUB_HUB_PUBLIC_KEY=str(workdir / "keys" / "hub.pub"),
               WIJKHUB_STATE_DIR=str(workdir / "state"), WIJKHUB_LOG_FORMAT="json")  # fmt: skip
    settings = KafkaSettings(bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"], topic_prefix=run_id)
    exports = workdir / "exports"
    step(f"generating synthetic exports for {HOUSEHOLDS} households, and the hub's keys")
    if wijkhub("generate", "--households", str(HOUSEHOLDS), "--seed", "42", "--months", "3",
               "--out", str(exports), env=env) != 0:  # fmt: skip
        raise SystemExit("demo: wijkhub generate failed")
    wijkhub("keys", "init", "--dir", str(workdir / "keys"), env=env)
    truth = json.loads(next(exports.glob("TEST-ONLY-*.json")).read_text())
    step(f"starting the hub worker (topics {run_id}.*, broker {settings.bootstrap_servers})")
    log = workdir / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "schemas.cli", "worker"], env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    CHILDREN.append(worker)
    try:
        for month in truth["months"]:
            for partner, stem, mapping in ORDER:
                file = exports / f"{stem}_{month}.{'jsonl' if stem.endswith('werk') else 'csv'}"
                code = wijkhub("connector", "run", partner, "--input", str(file), "--mapping",
                               str(exports / "mappings" / mapping), env=env,
                               log=workdir / "connectors.log")  # fmt: skip
                print(f"   {month} {partner:<11} {file.name:<44} exit {code}", flush=True)
                if worker.poll() is not None:
                    raise SystemExit(f"demo: the worker stopped; log:\n{log.read_text()[-3000:]}")
                caught_up(settings, env["WIJKHUB_HUB_APP_ID"])
        step("proposals on proposals.v1")
        show(*read_proposals(settings))
    finally:
        step("stopping the hub worker")
        stop(worker)
    step("done")
    return 0


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in CHILDREN:
        CHILDREN.remove(proc)
    print(f"   exited with {proc.returncode}")


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="wijkhub-demo-"))
    try:
        return run(workdir)
    finally:
        for child in list(CHILDREN):
            stop(child)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
