"""Whether Kafka answers, known at any moment without asking it on a request path.

Shared by the inbox and the hub worker (their ``/healthz``). :class:`BrokerProbe` is a
background thread that asks the cluster to describe itself every
``interval_s`` seconds (an authenticated round trip, so a broker that accepts connections but
does not answer counts as down). The answer is kept: ``/healthz`` reads it instantly, and the
publisher refuses a write at once while Kafka is known to be away instead of queueing a
record that might be delivered after the request was already refused.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["BrokerProbe", "BrokerStatus"]

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """The probe's verdict: ``up``, and since when (monotonic seconds) it has been so."""

    up: bool
    since: float
    reason: str = ""


class BrokerProbe(threading.Thread):
    """Probes the cluster until :meth:`stop`; :meth:`status` never blocks.

    Down as soon as a probe fails, and also when no probe has succeeded for
    ``stale_after_s`` seconds (a broker that hangs rather than refuses). Up again at the
    first probe that succeeds.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        interval_s: float = 1.0,
        stale_after_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        client_id: str = "wijkhub-inbox-probe",
    ) -> None:
        super().__init__(name=f"{client_id}-thread", daemon=True)
        self._client_id = client_id
        self._settings = settings
        self._interval = interval_s
        self._stale_after = stale_after_s
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        now = clock()
        self._last_ok = now  # started after the publisher connected: up until shown otherwise
        self._verdict = BrokerStatus(up=True, since=now)
        self._reported_up = True  # what the log last said

    def status(self) -> BrokerStatus:
        """The latest verdict, turned to down when the last success is too old."""
        now = self._clock()
        with self._lock:
            verdict, last_ok = self._verdict, self._last_ok
        if verdict.up and now - last_ok > self._stale_after:
            return BrokerStatus(False, last_ok + self._stale_after, "no answer")
        return verdict

    def up(self) -> bool:
        """Whether Kafka answered recently."""
        return self.status().up

    def stop(self, timeout: float = 5.0) -> None:
        """Stop probing and wait for the thread (a probe under way is given ``timeout``)."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)

    def note(self, up: bool, reason: str = "") -> None:
        """Record one probe's outcome (the probe loop calls it; logs each change once)."""
        now = self._clock()
        before = self.status()
        with self._lock:
            if up:
                self._last_ok = now
                self._verdict = before if before.up else BrokerStatus(True, now)
            else:
                self._verdict = BrokerStatus(False, now if before.up else before.since, reason)
            after, reported = self._verdict, self._reported_up
            self._reported_up = after.up
        if after.up and not reported:
            _log.info("kafka answers again", down_s=round(now - before.since, 1))
        elif not after.up and reported:
            down_s = round(now - after.since, 1)
            _log.warning("kafka does not answer", reason=reason, down_s=down_s)

    def run(self) -> None:
        admin: Any = None
        try:
            while not self._stopping.wait(self._interval):
                try:
                    if admin is None:
                        admin = self._connect()
                    brokers = admin.describe_cluster().get("brokers") or []
                except Exception as exc:  # any failure means: not answering now
                    self.note(False, type(exc).__name__)
                    self._close(admin)
                    admin = None
                    continue
                self.note(bool(brokers), "" if brokers else "no brokers in the cluster")
        finally:
            self._close(admin)

    def _connect(self) -> Any:
        from kafka import KafkaAdminClient

        timeout_ms = int(self._stale_after * 1000)
        return KafkaAdminClient(
            **self._settings.kafka_python_config(),
            client_id=self._client_id,
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
            reconnect_backoff_max_ms=1000,
        )

    @staticmethod
    def _close(admin: Any) -> None:
        if admin is not None:
            with contextlib.suppress(Exception):  # a broken client: nothing left to do
                admin.close()
