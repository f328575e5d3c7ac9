"""Connector throughput against a raw kafka-python producer, in the same run, as a ratio.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python bench/bench_ingest.py [--households 100000]

1. generates a synthetic corporation export (``wijkhub generate``);
2. runs the corporation connector on it, in process: read, map, validate, seal, encode,
   publish (idempotent, acks=all), confirm, checkpoint — rows per second published;
3. reads the connector's messages back and produces exactly those pre-encoded bytes with a
   raw kafka-python producer of the same configuration to a fresh topic — messages per second;
4. prints both and their ratio, and writes them to ``bench/results/bench_ingest.json``.

Each side uses its own unique topic prefix; nothing is deleted (the ingest topics keep 7 days).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaProducer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from test_connectors import consume  # noqa: E402

from connectors.config import ConnectorSettings  # noqa: E402
from connectors.corporation import CorporationConnector  # noqa: E402
from connectors.publisher import producer_config  # noqa: E402
from connectors.synthetic.generate import generate  # noqa: E402
from schemas.catalogue import ensure_topics, topic_spec  # noqa: E402
from schemas.settings import KafkaSettings  # noqa: E402
from streams.keys import init_keys  # noqa: E402

TOPIC = "ingest.wonen.v1"


def _settings(tag: str) -> KafkaSettings:
    settings = KafkaSettings(topic_prefix=f"bench-{tag}-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings, catalogue=(topic_spec(TOPIC),))
    return settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate(work / "gen", households=args.households, seed=args.seed, months=1)
        init_keys(work / "keys")
        export = next((work / "gen").glob("corporatie_*.csv"))

        conn_settings = _settings("connector")
        connector = CorporationConnector.from_mapping(
            work / "gen" / "mappings" / "huurachterstand.toml",
            ConnectorSettings(hub_public_key=work / "keys" / "hub.pub", state_dir=work / "state"),
            conn_settings,
        )
        started = time.perf_counter()
        summary = connector.run(export, rejects_path=work / "rejects.csv", progress=False)
        connector_seconds = time.perf_counter() - started
        rows = summary.published

        messages = [(r.key, r.value, r.headers) for r in consume(conn_settings, TOPIC)]
        assert len(messages) == rows, (len(messages), rows)
        raw_settings = _settings("raw")
        producer = KafkaProducer(**producer_config(raw_settings))
        producer.partitions_for(raw_settings.topic(TOPIC))  # connect before timing
        started = time.perf_counter()
        futures = [
            producer.send(raw_settings.topic(TOPIC), key=k, value=v, headers=list(h))
            for k, v, h in messages
        ]
        producer.flush()
        raw_seconds = time.perf_counter() - started
        assert all(f.succeeded() for f in futures)
        producer.close()

    result = {
        "households": args.households,
        "rows_published": rows,
        "rows_rejected": summary.rejected,
        "connector_rows_per_s": round(rows / connector_seconds),
        "raw_producer_msgs_per_s": round(len(messages) / raw_seconds),
        "ratio": round((rows / connector_seconds) / (len(messages) / raw_seconds), 3),
        "connector_seconds": round(connector_seconds, 3),
        "raw_seconds": round(raw_seconds, 3),
    }
    print(
        f"connector: {result['connector_rows_per_s']} rows/s ({rows} rows in "
        f"{connector_seconds:.2f}s, end to end incl. read, validate, seal, encode, confirm, "
        f"checkpoint)\nraw kafka-python producer, same pre-encoded messages: "
        f"{result['raw_producer_msgs_per_s']} msgs/s\nratio connector/raw: {result['ratio']}"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
