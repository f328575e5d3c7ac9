"""Run ``wijkhub worker`` processes for the benchmarks and watch their progress."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench._kafka import LagWatcher
from streams.settings import HOUSEHOLD_GROUP_SUFFIX


@dataclass
class Drain:
    """Progress of a group over a topic, in seconds since the watch began."""

    first_commit: float
    """When the group first committed offsets on the topic (start-up is over by then)."""
    lag_at_first_commit: int
    """Messages still to process at that moment."""
    drained: float
    """When the group had committed the whole topic."""

    @property
    def steady_rate(self) -> float:
        """Messages per second between the first commit and the end."""
        span = self.drained - self.first_commit
        return self.lag_at_first_commit / span if span > 0 else 0.0


@dataclass
class Hub:
    """One or more hub workers of one app id (= consumer group) over a topic prefix."""

    bootstrap: str
    prefix: str
    app_id: str
    workdir: Path
    keys_dir: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, n: int) -> dict[str, str]:
        return dict(
            os.environ,
            KAFKA_BOOTSTRAP_SERVERS=self.bootstrap,
            WIJKHUB_TOPIC_PREFIX=self.prefix,
            WIJKHUB_HUB_APP_ID=self.app_id,
            WIJKHUB_HUB_DATA_DIR=str(self.workdir / f"worker-{n}"),
            WIJKHUB_HUB_KEYS_DIR=str(self.keys_dir),
            WIJKHUB_HUB_WEB_PORT="0",
            WIJKHUB_HUB_STORE="rocksdb",
            WIJKHUB_HUB_COMMIT_INTERVAL="1.0",
            WIJKHUB_LOG_FORMAT="json",
            WIJKHUB_LOG_LEVEL=os.environ.get("BENCH_HUB_LOG_LEVEL", "warning"),
        )

    def start(self, n: int = 0) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"worker-{n}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "schemas.cli", "worker"], env=self.env(n), stdout=log, stderr=log
        )
        self.procs.append(proc)
        return proc

    def stop(self, *, kill: bool = False) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs.clear()

    def wait_drained(self, topic: str, *, timeout: float = 900) -> Drain:
        """Block until the household processor has committed all of ``topic`` (a household
        topic); see :class:`Drain`."""
        t0 = time.monotonic()
        watcher = LagWatcher(self.bootstrap)
        try:
            return self._wait(watcher, topic, t0, timeout)
        finally:
            watcher.close()

    def _wait(self, watcher: LagWatcher, topic: str, t0: float, timeout: float) -> Drain:
        first: tuple[float, int] | None = None
        while time.monotonic() - t0 < timeout:
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"a hub worker exited with {proc.returncode}; see "
                        f"{self.workdir}/worker-*.log"
                    )
            lag = watcher.lag(self.app_id + HOUSEHOLD_GROUP_SUFFIX, topic)
            now = time.monotonic() - t0
            if lag is not None and first is None:
                first = (now, lag)
            if lag == 0:
                return Drain(*(first or (now, 0)), drained=now)
            time.sleep(0.25)
        raise TimeoutError(f"the hub did not drain {topic} within {timeout:.0f} s")


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def dir_bytes(path: Path) -> int:
    """Bytes of every file below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
