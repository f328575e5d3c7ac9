"""A connector run's summary for Prometheus, in node_exporter's textfile format.

A connector is a batch job at a partner (cron, a systemd timer), not a server Prometheus can
scrape. Of Prometheus' two ways for batch jobs we write a ``.prom`` file for node_exporter's
textfile collector rather than push to a Pushgateway:

* the partner's machine already runs node_exporter (or can); a Pushgateway would be one more
  service for a partner to run, and one more way in from the partner's network;
* writing a file cannot fail because a network is down, and it is atomic (written beside the
  target, then renamed), so a scrape never sees half a run;
* the last run's result stays until the next run, so "no successful run for a day" is an
  alert on ``wijkhub_connector_last_success_timestamp_seconds``.

``WIJKHUB_METRICS_TEXTFILE`` names the file, e.g.
``/var/lib/node_exporter/textfile_collector/wijkhub-school.prom`` (one file per partner and
source; the labels say which). Unset, nothing is written. Counts only, never row content.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.logging import get_logger

__all__ = ["RunMetricsSettings", "write_run_metrics"]

log = get_logger(__name__)
_COUNTS = ("read", "valid", "rejected", "published", "already_published", "unchanged", "held")


class RunMetricsSettings(BaseSettings):
    """Where a connector writes its run summary.

    ``WIJKHUB_METRICS_TEXTFILE``
        The ``.prom`` file for node_exporter's textfile collector (default: none, no file).
    """

    model_config = SettingsConfigDict(env_prefix="WIJKHUB_METRICS_", extra="ignore")

    textfile: Path | None = None


def write_run_metrics(
    path: Path | None,
    *,
    partner: str,
    record: str,
    summary: Any | None,
    started: float,
    failed: str | None = None,
    previous_success: float | None = None,
) -> None:
    """Write the run's summary to ``path`` (nothing when ``None``).

    ``summary`` is the run's :class:`~connectors.runner.RunSummary` (``None`` when the run
    failed before it had one); ``failed`` the error's type name when it failed;
    ``previous_success`` the last success's time, kept from the file being replaced.
    """
    if path is None:
        return
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile

    registry = CollectorRegistry()
    labels = {"partner": partner, "record": record}
    names = list(labels)

    def gauge(name: str, doc: str, value: float, extra: dict[str, str] | None = None) -> None:
        more = extra or {}
        g = Gauge(f"wijkhub_connector_{name}", doc, [*names, *more], registry=registry)
        g.labels(**labels, **more).set(value)

    now = time.time()
    ok = failed is None
    exit_code = summary.exit_code if ok and summary is not None else 1
    gauge("last_run_timestamp_seconds", "When the last run ended (Unix time).", now)
    gauge("last_run_duration_seconds", "How long the last run took.", now - started)
    gauge("last_run_exit_code", "Exit status of the last run: 0 ok, 3 rows rejected, 1 failed.",
          exit_code)  # fmt: skip
    success = now if ok else previous_success
    if success is not None:
        gauge("last_success_timestamp_seconds", "When a run last ended without failing "
              "(exit 0 or 3).", success)  # fmt: skip
    if summary is not None:
        rows = Gauge("wijkhub_connector_last_run_rows", "Rows and events of the last run, by "
                     "kind (read, valid, rejected, published, already_published, unchanged, held).",
                     [*names, "kind"], registry=registry)  # fmt: skip
        for kind in _COUNTS:
            rows.labels(**labels, kind=kind).set(getattr(summary, kind, 0))
        gauge("last_run_dry_run", "1 when the last run was a dry run.", float(summary.dry_run))
    if failed is not None:
        gauge("last_run_failed", "1 when the last run failed, with the error's type.", 1,
              {"error": failed})  # fmt: skip
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(path), registry)  # a temporary file beside it, then a rename
    except OSError as exc:  # the run's own outcome stands; its metrics are a report of it
        log.warning("run metrics not written", path=str(path), error=type(exc).__name__)


def previous_success(path: Path | None) -> float | None:
    """The last success's time in the file ``path`` (from an earlier run), if any."""
    if path is None or not path.exists():
        return None
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text("utf-8")
        for family in text_string_to_metric_families(text):
            if family.name == "wijkhub_connector_last_success_timestamp_seconds":
                return max((s.value for s in family.samples), default=None)
    except (OSError, ValueError):
        return None
    return None
