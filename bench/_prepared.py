"""A household topic filled once per bench run and shared by replay, scale-out and memory."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench._kafka import fill
from bench._workload import events
from schemas.catalogue import ensure_topics
from schemas.settings import KafkaSettings


@dataclass(frozen=True)
class Prepared:
    settings: KafkaSettings
    topic: str
    events: int
    households: int
    workdir: Path
    keys_dir: Path
    fill_seconds: float


_CACHE: dict[tuple[str, int, int], Prepared] = {}


def prepared(bootstrap: str, n_events: int, n_households: int) -> Prepared:
    """Topics of a fresh prefix with ``n_events`` household events already on them."""
    key = (bootstrap, n_events, n_households)
    if key in _CACHE:
        return _CACHE[key]
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    ensure_topics(settings)
    workdir = Path(tempfile.mkdtemp(prefix="wijkhub-bench-"))
    keys_dir = workdir / "keys"
    subprocess.run(
        [sys.executable, "-m", "schemas.cli", "keys", "init", "--dir", str(keys_dir)],
        check=True,
        capture_output=True,
    )
    topic = settings.topic("household-events.v1")
    print(
        f"   filling {topic} with {n_events:,} events of {n_households:,} households ...",
        flush=True,
    )
    t0 = time.perf_counter()
    written = fill(bootstrap, topic, events(n_events, n_households))
    result = Prepared(
        settings, topic, written, n_households, workdir, keys_dir, time.perf_counter() - t0
    )
    _CACHE[key] = result
    return result
