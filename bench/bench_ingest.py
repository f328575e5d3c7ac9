"""Connector throughput against a raw kafka-python producer, in the same run, as a ratio.

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 python -m bench.bench_ingest [--households 100000]
    python -m bench --only ingest            # as part of ``make bench``

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
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kafka import KafkaProducer

from connectors.config import ConnectorSettings
from connectors.corporation import CorporationConnector
from connectors.publisher import producer_config
from connectors.synthetic.generate import generate
from schemas.catalogue import ensure_topics, topic_spec
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end
from streams.ingress.keys import init_keys

ROOT = Path(__file__).resolve().parent.parent
TOPIC = "ingest.wonen.v1"
HOUSEHOLDS = 100_000


def _read_back(settings: KafkaSettings) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """Every message the connector published: key, value and headers, ready to re-send."""
    return [(r.key, r.value, list(r.headers)) for r in read_to_end(settings, settings.topic(TOPIC))]


def _settings(tag: str) -> KafkaSettings:
    settings = KafkaSettings(topic_prefix=f"bench-{tag}-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings, catalogue=(topic_spec(TOPIC),))
    return settings


def measure(*, households: int, seed: int = 1) -> dict[str, float]:
    """Run both sides once; the figures as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generate(work / "gen", households=households, seed=seed, months=1)
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

        messages = _read_back(conn_settings)
        assert len(messages) == rows, (len(messages), rows)
        raw_settings = _settings("raw")
        producer = KafkaProducer(**producer_config(raw_settings))
        producer.partitions_for(raw_settings.topic(TOPIC))  # connect before timing
        started = time.perf_counter()
        futures = [
            producer.send(raw_settings.topic(TOPIC), key=k, value=v, headers=h)
            for k, v, h in messages
        ]
        producer.flush()
        raw_seconds = time.perf_counter() - started
        assert all(f.succeeded() for f in futures)
        producer.close()
    return {
        "households": households,
        "rows_published": rows,
        "rows_rejected": summary.rejected,
        "connector_rows_per_s": rows / connector_seconds,
        "raw_producer_msgs_per_s": len(messages) / raw_seconds,
        "ratio": (rows / connector_seconds) / (len(messages) / raw_seconds),
        "connector_seconds": connector_seconds,
        "raw_seconds": raw_seconds,
    }


def run(*, bootstrap: str, scale: float) -> list[Any]:
    """Entry point of ``python -m bench``: one Result, the connector against the raw producer."""
    from bench._report import Result

    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap
    got = measure(households=max(20_000, int(HOUSEHOLDS * scale)))  # fixed costs dominate below
    print(
        f"   connector {got['connector_rows_per_s']:,.0f} rows/s, raw producer "
        f"{got['raw_producer_msgs_per_s']:,.0f} msgs/s, ratio {got['ratio']:.2f}",
        flush=True,
    )
    return [
        Result(
            "ingest",
            "connector rows/s (end to end)",
            got["connector_rows_per_s"],
            "rows/s",
            got["raw_producer_msgs_per_s"],
            "raw kafka-python producer, pre-encoded",
            ">= 0.5 x raw",
            got["connector_rows_per_s"] >= 0.5 * got["raw_producer_msgs_per_s"],
            details={k: got[k] for k in ("households", "rows_published", "rows_rejected")},
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--households", type=int, default=HOUSEHOLDS)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    got = measure(households=args.households, seed=args.seed)
    print(
        f"connector: {got['connector_rows_per_s']:.0f} rows/s ({got['rows_published']} rows in "
        f"{got['connector_seconds']:.2f}s, end to end incl. read, validate, seal, encode, "
        f"confirm, checkpoint)\nraw kafka-python producer, same pre-encoded messages: "
        f"{got['raw_producer_msgs_per_s']:.0f} msgs/s\nratio connector/raw: {got['ratio']:.3f}"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_ingest.json").write_text(json.dumps(got, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
