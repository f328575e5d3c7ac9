"""Replay: the hub over a household topic that is already full, against a bare consumer.

Baseline (same run, same topic): an aiokafka consumer that only fetches and decodes.
Target: hub at least 0.5 x baseline. Also reports resident memory of the worker and the
state bytes per household (latest changelog entry per key). Target: < 1 KiB per household.
"""

from __future__ import annotations

import uuid

from bench._hub import Drain, Hub, rss_mib
from bench._kafka import raw_consume_seconds
from bench._prepared import prepared
from bench._report import Result
from schemas.settings import KafkaSettings
from schemas.topic_reader import read_to_end

EVENTS = 1_000_000
HOUSEHOLDS = 100_000

ONE_WORKER: dict[str, Drain] = {}
"""The one-worker drain per prepared topic, reused by the scale-out benchmark."""


def changelog_state_bytes(bootstrap: str, topic: str) -> tuple[int, int]:
    """(households, bytes of key + value of the latest entry per household) in a changelog."""
    latest: dict[bytes, int] = {}
    for message in read_to_end(KafkaSettings(bootstrap_servers=bootstrap), topic):
        if message.value is None:
            latest.pop(message.key, None)
        else:
            latest[message.key] = len(message.key) + len(message.value)
    return len(latest), sum(latest.values())


def run(*, bootstrap: str, scale: float) -> list[Result]:
    n_events, n_households = int(EVENTS * scale), max(10, int(HOUSEHOLDS * scale))
    prep = prepared(bootstrap, n_events, n_households)
    print(
        f"   filled in {prep.fill_seconds:.0f} s ({prep.events / prep.fill_seconds:,.0f}/s "
        "encode + produce)",
        flush=True,
    )
    raw_seconds = raw_consume_seconds(bootstrap, prep.topic, prep.events)
    raw_rate = prep.events / raw_seconds
    print(f"   raw aiokafka fetch + decode: {raw_rate:,.0f} events/s", flush=True)

    app_id = f"{prep.settings.topic_prefix}-replay-{uuid.uuid4().hex[:4]}"
    hub = Hub(bootstrap, prep.settings.topic_prefix, app_id, prep.workdir / app_id, prep.keys_dir)
    hub.workdir.mkdir(parents=True)
    proc = hub.start()
    try:
        drain = hub.wait_drained(prep.topic)
        rss = rss_mib(proc.pid)
    finally:
        hub.stop()
    ONE_WORKER[prep.topic] = drain
    households, state_bytes = changelog_state_bytes(bootstrap, f"{app_id}.households-changelog")
    per_household = state_bytes / households if households else 0.0
    rate = drain.steady_rate
    return [
        Result(
            "replay",
            "hub events/s (steady)",
            rate,
            "ev/s",
            raw_rate,
            "raw aiokafka fetch+decode",
            ">= 0.5 x raw",
            rate >= 0.5 * raw_rate,
            {
                "events": prep.events,
                "households": n_households,
                "startup_s": drain.first_commit,
                "wall_s": drain.drained,
            },
        ),
        Result(
            "replay",
            "hub events/s (incl. start-up)",
            prep.events / drain.drained,
            "ev/s",
            raw_rate,
            "raw aiokafka fetch+decode",
        ),
        Result("memory", "worker resident memory", rss, "MiB", details={"households": households}),
        Result(
            "memory",
            "state bytes per household",
            per_household,
            "B",
            target="< 1024 B",
            met=per_household < 1024,
            details={"households_in_state": households, "state_bytes": state_bytes},
        ),
    ]
