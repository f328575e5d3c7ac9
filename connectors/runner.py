"""One connector run: read → check → map → diff → seal → encode → publish → confirm → commit.

Checked first: an export that is empty when the last snapshot was not, wholly rejected, has
the wrong header, no sound export date, or would resolve an implausible share of the last
snapshot is refused before anything changes (:mod:`connectors.checks`).

Exactly once, also after SIGKILL: event ids are deterministic; before the first message the
run records where the topic ended (the *in-flight* record, written atomically and checked);
a run that finds such a record reads the topic back from there and skips the events already
on it (:mod:`connectors.readback`); the producer is idempotent; and the new snapshot is
committed only after the broker confirmed every message. A state write that fails (a full
disk, a read-only directory) fails the run before it reports anything as published, and the
next run finishes the work without sending anything twice. See ``docs/connectors.md``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from connectors._crashpoints import crash_point
from connectors.checks import check_plan, check_rows
from connectors.config import ConnectorSettings
from connectors.errors import StateError
from connectors.exportdate import export_date
from connectors.prefetch import KafkaPrefetch
from connectors.progress import Progress
from connectors.readback import published_ids
from connectors.reader import RawRow
from connectors.rejects import write_rejects
from connectors.rows import MappedRow, Reject, RowMapper
from connectors.sealing import Sealer, sealed_subjects
from connectors.snapshot import Change, Held, Plan, next_rows, plan_delta, plan_snapshot
from connectors.source import PartnerSource
from connectors.state import InFlight, State, StateStore, load_secret
from connectors.summary import RunSummary
from schemas.codec import encode
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["Connector", "RunSummary", "count_changes"]

_LEDGER_DAYS = 400
_BEFORE_PUBLISHING = "Nothing was published: make room (or make it writable) and run again."
_AFTER_PUBLISHING = (
    "Every event was delivered but is not checkpointed: make room (or make it writable) and "
    "run the same export again; what is on the topic already is recognised, not sent twice."
)
log = get_logger(__name__)
Commit = Callable[[State, dict[UUID, str]], None]


class Connector:
    """Runs exports of one partner source through the SDK."""

    source_class: ClassVar[type[PartnerSource]] = PartnerSource

    @classmethod
    def from_mapping(
        cls,
        mapping: Path,
        settings: ConnectorSettings | None = None,
        kafka: KafkaSettings | None = None,
    ) -> Connector:
        """The connector for the source a mapping file describes."""
        return cls(cls.source_class.from_file(mapping), settings, kafka)

    def __init__(
        self,
        source: PartnerSource,
        settings: ConnectorSettings | None = None,
        kafka: KafkaSettings | None = None,
    ) -> None:
        self.source = source
        self.spec = source.spec
        self.settings = settings or ConnectorSettings()
        self.kafka = kafka or KafkaSettings()
        self.store = StateStore(
            self.settings.state_dir,
            self.spec.source.partner_id,
            self.spec.source.record,
            keep=self.settings.state_history,
        )

    @property
    def source_name(self) -> str:
        """``<partner id>/<record>``: the source part of every event id."""
        return f"{self.spec.source.partner_id}/{self.spec.source.record}"

    def _map(
        self, path: Path, raws: list[RawRow], given: date | None
    ) -> tuple[date, list[MappedRow], list[Reject]]:
        when = export_date(path, raws, self.spec.source, given=given, today=_today())
        mapper = RowMapper(
            self.spec,
            self.source.target.model,
            secret=load_secret(self.settings.state_dir),
            transforms=self.source.transforms,
            as_of=when.day,
            check_as_of=when.check_rows,
        )
        mapped: list[MappedRow] = []
        rejects: list[Reject] = []
        for raw in raws:
            result = mapper.map(raw)
            if isinstance(result, MappedRow):
                mapped.append(result)
            else:
                rejects.append(result)
        return when.day, mapped, rejects

    def _unreadable(self, path: Path, raws: list[RawRow], state: State, rejects_path: Path) -> None:
        """Refuse an export without a row to read before asking it for its date."""
        if not raws:
            check_plan(path, self.spec.source, read=0, previous=len(state.rows), plan=Plan())
        elif all(raw.problem is not None for raw in raws):
            rejects = [Reject(r.line, r.field, r.problem or "") for r in raws]
            write_rejects(rejects_path, rejects)
            check_rows(path, read=len(raws), valid=0, rejects=rejects, rejects_file=rejects_path)

    def _plan(
        self, state: State, mapped: list[MappedRow], rejects: list[Reject], as_of: date
    ) -> Plan:
        src = self.spec.source
        if src.kind == "snapshot":
            return plan_snapshot(
                mapped,
                state,
                source=self.source_name,
                as_of=as_of,
                refresh_days=src.refresh_days,
                held=Held.of(rejects),
            )
        return plan_delta(mapped, state, source=self.source_name)

    def run(
        self,
        path: Path,
        *,
        dry_run: bool = False,
        as_of: date | None = None,
        rejects_path: Path | None = None,
        progress: bool = True,
    ) -> RunSummary:
        """Run one export; returns the summary (raises a WijkhubError on failure)."""
        with self.store.lock(), self.kafka_connection(dry_run) as kafka:
            return self._run(
                path,
                dry_run=dry_run,
                as_of=as_of,
                rejects_path=rejects_path or path.with_name(path.name + ".rejects.csv"),
                progress=progress,
                kafka=kafka,
            )

    @contextlib.contextmanager
    def kafka_connection(self, dry_run: bool) -> Iterator[KafkaPrefetch | None]:
        """Kafka for a run, connecting in the background (``None`` for a dry run)."""
        if dry_run:  # a dry run never connects
            yield None
            return
        topic = self.kafka.topic(self.source.target.topic)
        with KafkaPrefetch(self.kafka, topic) as kafka:  # connects while the export is read
            yield kafka

    def _run(
        self,
        path: Path,
        *,
        dry_run: bool,
        as_of: date | None,
        rejects_path: Path,
        progress: bool,
        kafka: KafkaPrefetch | None,
    ) -> RunSummary:
        state = self.store.load()
        raws = list(self.source.rows(path))
        self._unreadable(path, raws, state, rejects_path)
        day, mapped, rejects = self._map(path, raws, as_of)
        if self.spec.source.kind == "snapshot" and state.as_of and day.isoformat() < state.as_of:
            raise StateError(
                f"{path}: this snapshot is as of {day}, older than the last one published "
                f"({state.as_of}); comparing would resolve rows wrongly. Run the newest export, "
                "or roll back (`wijkhub connector state show|rollback`)."
            )
        plan = self._plan(state, mapped, rejects, day)
        summary = RunSummary(
            read=len(mapped) + len(rejects),
            valid=len(mapped) - len(plan.rejects),
            rejected=len(rejects) + len(plan.rejects),
            unchanged=plan.unchanged,
            held=plan.held,
            dry_run=dry_run,
            rejects_file=rejects_path,
        )
        rejects += plan.rejects
        write_rejects(rejects_path, rejects)
        check_rows(
            path, read=summary.read, valid=summary.valid, rejects=rejects, rejects_file=rejects_path
        )
        check_plan(path, self.spec.source, read=summary.read, previous=len(state.rows), plan=plan)
        if dry_run:
            summary.published = len(plan.changes)
            summary.changes = count_changes(plan.changes)
        elif kafka is not None and (plan.changes or state.in_flight is not None):
            export = hashlib.sha256(path.read_bytes()).hexdigest()
            self.publish(
                state,
                plan,
                day,
                summary,
                export=(export, f"export {path}"),
                commit=lambda st, sealed: self._commit(st, plan, sealed, day),
                kafka=kafka,
                progress=progress,
            )
        elif kafka is not None:
            self._commit(state, plan, {}, day)
        self._log(summary)
        return summary

    def _log(self, summary: RunSummary) -> None:
        log.info(
            "connector run",
            partner=self.spec.source.partner_id,
            record=self.spec.source.record,
            dry_run=summary.dry_run,
            read=summary.read,
            valid=summary.valid,
            rejected=summary.rejected,
            published=summary.published,
            already_published=summary.already_published,
            unchanged=summary.unchanged,
            held=summary.held,
            changes=summary.changes,
        )

    def publish(
        self,
        state: State,
        plan: Plan,
        as_of: date,
        summary: RunSummary,
        *,
        export: tuple[str, str],
        commit: Commit,
        kafka: KafkaPrefetch,
        progress: bool,
    ) -> None:
        """Publish ``plan`` exactly once and ``commit`` (an export run, or a rollback).

        ``export`` is (sha256, label) of what is published: an interrupted run must be
        finished by running the same again before anything else.
        """
        sealer = Sealer.from_file(self.settings.hub_public_key)  # fail before any state change
        with sealed_subjects(plan.changes, sealer) as subjects:  # sealed while in-flight written
            sealed = self._send(
                state,
                plan,
                as_of,
                summary,
                export,
                subjects=subjects,
                kafka=kafka,
                progress=progress,
            )
        crash_point("delivered")
        commit(state, sealed)

    def _start(
        self, state: State, topic: str, export: tuple[str, str], kafka: KafkaPrefetch
    ) -> set[str]:
        """Record the in-flight run, or read back what an interrupted one published."""
        digest, label = export
        if state.in_flight is None:
            state.in_flight = InFlight(topic, kafka.end_offsets(), digest, label)
            self.store.save(state, advice=_BEFORE_PUBLISHING)  # before the first message
            crash_point("in-flight")
            return set()
        if state.in_flight.topic != topic:
            raise StateError(
                f"{self.store.path}: an unfinished run published to {state.in_flight.topic}, "
                f"this run would publish to {topic}; finish it with the same topic prefix"
            )
        if state.in_flight.export_sha256 not in ("", digest):
            what = state.in_flight.label or f"sha256 {state.in_flight.export_sha256[:16]}..."
            noun = "rollback" if what.startswith("rollback") else "export"
            raise StateError(
                f"{self.store.path}: a run of another {noun} was interrupted ({what}); run that "
                f"{noun} again first, so what it published is completed and checkpointed"
            )
        return published_ids(
            self.kafka, topic, state.in_flight.start_offsets, self.spec.source.ce_source
        )

    def _send(
        self,
        state: State,
        plan: Plan,
        as_of: date,
        summary: RunSummary,
        export: tuple[str, str],
        *,
        subjects: Iterator[bytes],
        kafka: KafkaPrefetch,
        progress: bool,
    ) -> dict[UUID, str]:
        topic = self.kafka.topic(self.source.target.topic)
        already = self._start(state, topic, export, kafka)
        sealed: dict[UUID, str] = {}
        todo = (
            [c for c in plan.changes if str(c.event_id) not in already] if already else plan.changes
        )
        summary.already_published = len(plan.changes) - len(todo)
        summary.changes = count_changes(todo)
        occurred = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        with (
            Progress(len(todo), self.spec.source.partner_id, enabled=progress) as bar,
            kafka.publisher() as publisher,
        ):
            publisher.on_delivered = bar.update if bar.active else None
            for n, (change, subject) in enumerate(zip(plan.changes, subjects, strict=True), 1):
                sealed[change.event_id] = base64.b64encode(subject).decode()
                if already and str(change.event_id) in already:
                    continue
                record = self._record(change, subject, occurred)
                encoded = encode(record, source=self.spec.source.ce_source)
                publisher.send(change.kafka_key, encoded.value, encoded.headers)
                crash_point("queued")
                if n % self.settings.confirm_every == 0:
                    publisher.confirm()
                    crash_point("confirmed")
            publisher.confirm()
            summary.published = publisher.delivered
        return sealed

    def _record(self, change: Change, subject: bytes, occurred: datetime) -> Any:
        values: dict[str, Any] = {
            **change.facts,
            "event_id": change.event_id,
            "occurred_at": change.occurred_at or occurred,
            "source": self.spec.source.partner_id,
            "sealed_subject": subject,
        }
        if self.spec.source.kind == "snapshot":
            values["status"] = change.kind
        return self.source.target.model.model_validate(values)

    def _commit(self, state: State, plan: Plan, sealed: dict[UUID, str], as_of: date) -> None:
        if self.spec.source.kind == "snapshot":
            state.rows = next_rows(state, plan, sealed, as_of)
        else:
            cutoff = (as_of - timedelta(days=_LEDGER_DAYS)).isoformat()
            state.ledger = {k: v for k, v in state.ledger.items() if v >= cutoff}
            state.legacy_ledger = {k: v for k, v in state.legacy_ledger.items() if v >= cutoff}
            state.ledger.update({str(c.event_id): as_of.isoformat() for c in plan.changes})
        if plan.changes:
            state.generation += 1
        state.as_of = max(as_of.isoformat(), state.as_of or "")
        state.in_flight = None
        self.store.commit(state, advice=_AFTER_PUBLISHING)


def _today() -> date:
    return datetime.now(UTC).date()


def count_changes(changes: list[Change]) -> dict[str, int]:
    """How many changes of each kind."""
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    return counts
