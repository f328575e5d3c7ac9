"""One connector run: read → map → diff → seal → encode → publish → confirm → checkpoint.

Exactly once, also after SIGKILL: event ids are deterministic; before the first message the
run records where the topic ended (the *in-flight* record, written atomically); a run that
finds such a record reads the topic back from there and skips the events already on it
(:mod:`connectors.readback`); the producer is idempotent; and the new snapshot is committed
only after the broker confirmed every message. See ``docs/connectors.md``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from connectors._crashpoints import crash_point
from connectors.config import ConnectorSettings
from connectors.convert import parse_date
from connectors.errors import StateError
from connectors.prefetch import KafkaPrefetch
from connectors.progress import Progress
from connectors.readback import published_ids
from connectors.rejects import write_rejects
from connectors.rows import MappedRow, Reject, RowMapper
from connectors.sealing import Sealer
from connectors.snapshot import Change, Plan, next_rows, plan_delta, plan_snapshot
from connectors.source import PartnerSource
from connectors.state import InFlight, State, StateStore, load_secret
from schemas.codec import encode
from schemas.logging import get_logger
from schemas.settings import KafkaSettings

__all__ = ["Connector", "RunSummary"]

_LEDGER_DAYS = 400
_SEAL_CHUNK = 256  # rows sealed per task: large enough that thread hand-offs cost nothing
_SEAL_THREADS = 2
log = get_logger(__name__)


@dataclass(slots=True)
class RunSummary:
    """What a run did; ``exit_code`` is 0 when every row was good, 3 when some were rejected."""

    read: int = 0
    valid: int = 0
    rejected: int = 0
    published: int = 0
    already_published: int = 0
    unchanged: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    rejects_file: Path | None = None

    @property
    def exit_code(self) -> int:
        """0 success, 3 partial success (some rows rejected)."""
        return 3 if self.rejected else 0

    def line(self) -> str:
        """The human summary printed at the end of a run."""
        verb = "would publish" if self.dry_run else "published"
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items())) or "none"
        return (
            f"read {self.read}, valid {self.valid}, rejected {self.rejected}, "
            f"{verb} {self.published}, already published {self.already_published}, "
            f"unchanged {self.unchanged} (changes: {kinds})"
        )


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
            self.settings.state_dir, self.spec.source.partner_id, self.spec.source.record
        )

    def _read(self, path: Path, given: date | None) -> tuple[date, list[MappedRow], list[Reject]]:
        mapper = RowMapper(
            self.spec,
            self.source.target.model,
            secret=load_secret(self.settings.state_dir),
            transforms=self.source.transforms,
        )
        as_of, column = given, self.spec.source.as_of_column
        mapped: list[MappedRow] = []
        rejects: list[Reject] = []
        for raw in self.source.rows(path):
            if as_of is None and column and raw.problem is None and raw.fields.get(column):
                with contextlib.suppress(ValueError):
                    as_of = parse_date(raw.fields[column].strip(), self.spec.source.as_of_formats)
            result = mapper.map(raw)
            if isinstance(result, MappedRow):
                mapped.append(result)
            else:
                rejects.append(result)
        return as_of or datetime.now(UTC).date(), mapped, rejects

    def _plan(self, state: State, mapped: list[MappedRow], as_of: date) -> Plan:
        src = self.spec.source
        name = f"{src.partner_id}/{src.record}"
        if src.kind == "snapshot":
            return plan_snapshot(
                mapped, state, source=name, as_of=as_of, refresh_days=src.refresh_days
            )
        return plan_delta(mapped, state, source=name)

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
        with self.store.lock(), contextlib.ExitStack() as stack:
            kafka = None
            if not dry_run:  # connect while the export is read; a dry run never connects
                topic = self.kafka.topic(self.source.target.topic)
                kafka = stack.enter_context(KafkaPrefetch(self.kafka, topic))
            return self._run(
                path,
                dry_run=dry_run,
                as_of=as_of,
                rejects_path=rejects_path,
                progress=progress,
                kafka=kafka,
            )

    def _run(
        self,
        path: Path,
        *,
        dry_run: bool,
        as_of: date | None,
        rejects_path: Path | None,
        progress: bool,
        kafka: KafkaPrefetch | None,
    ) -> RunSummary:
        as_of, mapped, rejects = self._read(path, as_of)
        state = self.store.load()
        if self.spec.source.kind == "snapshot" and state.as_of and as_of.isoformat() < state.as_of:
            raise StateError(
                f"{path}: this snapshot is as of {as_of}, older than the last one published "
                f"({state.as_of}); comparing would resolve rows wrongly. Run the newest export."
            )
        plan = self._plan(state, mapped, as_of)
        summary = RunSummary(
            read=len(mapped) + len(rejects),
            valid=len(mapped) - len(plan.rejects),
            rejected=len(rejects) + len(plan.rejects),
            unchanged=plan.unchanged,
            dry_run=dry_run,
        )
        rejects += plan.rejects
        rejects_path = rejects_path or path.with_name(path.name + ".rejects.csv")
        write_rejects(rejects_path, rejects)
        summary.rejects_file = rejects_path
        if dry_run:
            summary.published = len(plan.changes)
            summary.changes = _count(plan.changes)
        elif kafka is not None and (plan.changes or state.in_flight is not None):
            self._publish(path, state, plan, as_of, summary, kafka=kafka, progress=progress)
        log.info(
            "connector run",
            partner=self.spec.source.partner_id,
            record=self.spec.source.record,
            dry_run=dry_run,
            read=summary.read,
            valid=summary.valid,
            rejected=summary.rejected,
            published=summary.published,
            already_published=summary.already_published,
            unchanged=summary.unchanged,
            changes=summary.changes,
        )
        return summary

    def _publish(
        self,
        path: Path,
        state: State,
        plan: Plan,
        as_of: date,
        summary: RunSummary,
        *,
        kafka: KafkaPrefetch,
        progress: bool,
    ) -> None:
        sealer = Sealer.from_file(self.settings.hub_public_key)  # fail before any state change
        with _sealing(plan.changes, sealer) as subjects:  # seals while the in-flight is written
            self._publish_sealed(
                path, state, plan, as_of, summary, subjects=subjects, kafka=kafka, progress=progress
            )

    def _publish_sealed(
        self,
        path: Path,
        state: State,
        plan: Plan,
        as_of: date,
        summary: RunSummary,
        *,
        subjects: Iterator[bytes],
        kafka: KafkaPrefetch,
        progress: bool,
    ) -> None:
        topic = self.kafka.topic(self.source.target.topic)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        already: set[str] = set()
        if state.in_flight is None:
            state.in_flight = InFlight(topic, kafka.end_offsets(), digest)
            self.store.save(state)  # before the first message: a crash now is recoverable
            crash_point("in-flight")
        else:
            if state.in_flight.topic != topic:
                raise StateError(
                    f"{self.store.path}: an unfinished run published to {state.in_flight.topic}, "
                    f"this run would publish to {topic}; finish it with the same topic prefix"
                )
            if state.in_flight.export_sha256 not in ("", digest):
                raise StateError(
                    f"{self.store.path}: a run of another export was interrupted; run that "
                    f"export again first (sha256 {state.in_flight.export_sha256[:16]}...), so "
                    "what it published is completed and checkpointed"
                )
            already = published_ids(
                self.kafka, topic, state.in_flight.start_offsets, self.spec.source.ce_source
            )
        sealed: dict[UUID, str] = {}
        todo = (
            [c for c in plan.changes if str(c.event_id) not in already] if already else plan.changes
        )
        summary.already_published = len(plan.changes) - len(todo)
        summary.changes = _count(todo)
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
        crash_point("delivered")
        self._commit(state, plan, sealed, as_of)

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
            state.ledger.update({str(c.event_id): as_of.isoformat() for c in plan.changes})
        if plan.changes:
            state.generation += 1
        state.as_of = as_of.isoformat()
        state.in_flight = None
        self.store.save(state)


@contextlib.contextmanager
def _sealing(changes: list[Change], sealer: Sealer) -> Iterator[Iterator[bytes]]:
    """The sealed subject of every change, in order: fresh for present rows, stored for
    resolved ones. Sealing starts on entry, so it runs while the caller writes the in-flight
    record; leaving the block early cancels what has not started.

    Sealing (an X25519 key agreement per row) is the costliest step of a run. libsodium runs
    without the GIL, so chunks are sealed ahead on worker threads while the caller encodes
    and sends. Each seal needs the GIL back to return: while the caller runs pure Python (as
    when reading the export) a worker gets it only every switch interval (5 ms), ~200
    seals/s, so sealing is not started during reading. During the sends the caller gives
    the GIL up often (to kafka-python's sender thread and on waits): measured on 3,000 and
    10,000 rows, it waited 20-60 ms a run for seals in all, and a lower switch interval
    (0.5-2 ms) did not make runs faster, so the interpreter's default is left alone.
    """
    chunks = [changes[i : i + _SEAL_CHUNK] for i in range(0, len(changes), _SEAL_CHUNK)]
    with ThreadPoolExecutor(max_workers=_SEAL_THREADS, thread_name_prefix="seal") as pool:
        futures = [pool.submit(_seal_chunk, sealer, chunk) for chunk in chunks]
        try:
            yield (subject for future in futures for subject in future.result())
        finally:
            for future in futures:
                future.cancel()


def _seal_chunk(sealer: Sealer, changes: list[Change]) -> list[bytes]:
    out = []
    for change in changes:
        if change.canonical_id is not None:
            out.append(sealer.seal(change.canonical_id))
        elif change.sealed is not None:
            out.append(base64.b64decode(change.sealed))
        else:
            raise StateError("a resolved row has no sealed subject in the state; damaged state")
    return out


def _count(changes: list[Change]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    return counts
