"""``wijkhub worker``: run the hub until SIGTERM or Ctrl-C, then shut down cleanly.

Exit status: 0 after a clean stop; 1 when a stage failed; 75 when a partition stayed stalled
after its stage got a new consumer (:mod:`streams.runtime.watchdog`): start it again.
"""

from __future__ import annotations

import logging

import faust

from schemas.catalogue import ensure_topics as ensure_catalogue
from schemas.logging import get_logger, limit_handlers
from schemas.settings import KafkaSettings
from streams.household.processor import ensure_changelog
from streams.runtime import heartbeat
from streams.runtime.app import create_app
from streams.runtime.watchdog import EXIT_STALLED, PartitionStalledError
from streams.settings import HubSettings

__all__ = ["run_worker"]

log = get_logger(__name__)


class _Worker(faust.Worker):
    """Faust's worker, whose log handlers get wijkhub's rate limit (schemas.logging)."""

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        super().on_setup_root_logger(logger, level)
        limit_handlers(logger)  # Faust replaced the root handlers: aiokafka logs through them


def run_worker(loglevel: str = "warn") -> int:
    """Start a Faust worker for the hub in this process; returns its exit code."""
    kafka, hub = KafkaSettings(), HubSettings()
    hub.data_dir.mkdir(parents=True, exist_ok=True)
    report = ensure_catalogue(kafka)  # every catalogue topic, with its retention and size
    if report.created:
        log.info("catalogue topics created", count=len(report.created))
    ensure_catalogue(kafka, catalogue=heartbeat.TOPICS)  # the heartbeat's own topics
    ensure_changelog(kafka, hub.app_id)  # the household processor's state
    app = create_app(kafka, hub)
    log.info(
        "worker starting",
        app_id=hub.app_id,
        bootstrap=kafka.bootstrap_servers,
        prefix=kafka.topic_prefix,
        store=hub.store,
    )
    worker = _Worker(app, loglevel=loglevel, quiet=True, redirect_stdouts=False)
    # Faust's terminal spinner sets the root logger to DEBUG so that it can spin on every
    # record: aiokafka and Faust then build a DEBUG record per message sent (~15 % of the
    # hub's CPU in a replay profile) and write cursor escapes into the log. No spinner.
    worker.spinner = None
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        if isinstance(worker.crash_reason, PartitionStalledError):
            log.error("worker exits: a partition stalled twice", status=EXIT_STALLED)  # noqa: TRY400 - the crash was logged with its traceback
            return EXIT_STALLED
        return int(exc.code or 0)
    return 0
