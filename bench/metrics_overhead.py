"""What the metrics cost the replay: the hub of a baseline checkout against this one, paired.

``python -m bench.metrics_overhead BASE_DIR [--rounds 3]`` fills a household topic once
(as bench_replay does) and then drains it with a fresh consumer group, alternately with the
worker of ``BASE_DIR`` (a checkout without the metrics, e.g. ``git archive`` of the commit
before them: its packages shadow this one's through ``PYTHONPATH``) and with this checkout's,
whose web server is on and scraped every second (Prometheus' default is every 15 s). Run it
from outside the checkout (the current directory comes first on a worker's ``sys.path``):
``cd /tmp && PYTHONPATH=$CHECKOUT python -m bench.metrics_overhead $BASE``. The
order alternates per round, so that a machine shared with others drifts into both sides.
Prints each run's steady events/s and, per round, this checkout's rate over the baseline's.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench._hub import Hub
from bench._prepared import prepared
from bench.bench_replay import EVENTS, HOUSEHOLDS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Hub(Hub):
    extra: dict[str, str] | None = None

    def env(self, n: int) -> dict[str, str]:
        return {**super().env(n), **(self.extra or {})}


def _scrape_every_second(url: str, stop: threading.Event, counts: list[int]) -> None:
    while not stop.wait(1.0):
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - 127.0.0.1
                response.read()
            counts[0] += 1
        except OSError:
            pass  # not listening yet


def drain(bootstrap: str, prep: object, base: Path | None) -> float:
    """One drain of the prepared topic; the steady events/s."""
    app_id = f"{prep.settings.topic_prefix}-ovh-{uuid.uuid4().hex[:6]}"  # type: ignore[attr-defined]
    port = _free_port()
    extra = {"PYTHONPATH": str(base)} if base else {"WIJKHUB_HUB_WEB_PORT": str(port)}
    hub = _Hub(bootstrap, prep.settings.topic_prefix, app_id, prep.workdir / app_id,  # type: ignore[attr-defined]
               prep.keys_dir, extra=extra)  # type: ignore[attr-defined]  # fmt: skip
    hub.workdir.mkdir(parents=True)
    stop, scrapes = threading.Event(), [0]
    scraper = None
    if base is None:
        url = f"http://127.0.0.1:{port}/metrics"
        scraper = threading.Thread(target=_scrape_every_second, args=(url, stop, scrapes))
        scraper.start()
    hub.start()
    try:
        rate = hub.wait_drained(prep.topic).steady_rate  # type: ignore[attr-defined]
    finally:
        hub.stop()
        stop.set()
        if scraper is not None:
            scraper.join()
    if base is None:
        assert scrapes[0] > 0, "the metrics were never scraped"
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.metrics_overhead", description=__doc__)
    parser.add_argument("base", type=Path, help="a checkout of the code without the metrics")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    n_events = int(EVENTS * args.scale)
    prep = prepared(bootstrap, n_events, max(10, int(HOUSEHOLDS * args.scale)))
    ratios = []
    for r in range(args.rounds):
        order = [args.base, None] if r % 2 == 0 else [None, args.base]
        rates: dict[str, float] = {}
        for side in order:
            name = "base" if side is not None else "metrics"
            rates[name] = drain(bootstrap, prep, side)
            print(f"   round {r + 1} {name:7}: {rates[name]:>9,.0f} events/s", flush=True)
        ratios.append(rates["metrics"] / rates["base"])
        print(f"   round {r + 1} metrics/base: {ratios[-1]:.3f}", flush=True)
    each = ", ".join(f"{x:.3f}" for x in ratios)
    print(f"{prep.events:,} events; metrics/base per round: {each}; "
          f"median {statistics.median(ratios):.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
