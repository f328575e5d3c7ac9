"""Recovering from a wrong snapshot: ``wijkhub connector state show|rollback``.

Every committed state is kept by generation (the last ``WIJKHUB_STATE_HISTORY``, see
:class:`connectors.state.StateStore`). ``rollback --to G`` makes the hub's view of the source
equal to generation G again and restores G as the connector's snapshot:

* it publishes the events that take each row from the current snapshot back to G — a row G
  had and the current snapshot lost is *opened* again, a row whose facts changed is *updated*
  back, a row G did not have is *resolved* — with G's sealed subjects and facts, and new ids
  (the current generation's), through the same exactly-once path as a run (in-flight record,
  read-back after a crash);
* then it commits G's rows and G's export date as a new generation, so the correct export
  can be run next (it is no longer "older than the last one published").

Nothing is published twice: a row already as G has it gets no event, and a rollback that
committed is a no-op when repeated. A delta source (the consent register) has no snapshot to
roll back: each of its rows is published once, and what reached the hub stays there.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from uuid import UUID

from connectors.errors import StateError
from connectors.runner import Connector, count_changes
from connectors.snapshot import Change, ChangeKind, Plan, event_id
from connectors.state import RowState, State
from connectors.summary import RunSummary

__all__ = ["plan_rollback", "rollback", "show"]


def show(connector: Connector) -> list[str]:
    """What ``state show`` prints: the current state and the generations kept."""
    store, src = connector.store, connector.spec.source
    state = store.load()  # no lock: states are replaced atomically, so reading is safe
    kept = store.history()
    flight = state.in_flight
    lines = [
        f"state: {store.path}",
        f"source: {connector.source_name} ({src.kind})",
        f"generation {state.generation}, as of {state.as_of or 'never run'}, "
        + (
            f"{len(state.rows)} rows"
            if src.kind == "snapshot"
            else f"{len(state.ledger) + len(state.legacy_ledger)} published events in the ledger"
        )
        + f", in flight: {flight.label or 'an interrupted run' if flight else 'no'}",
    ]
    if src.kind == "snapshot":
        lines.append("kept (newest first; roll back with `rollback --to GENERATION`):")
        for entry in reversed(kept):
            mark = "  (current)" if entry.generation == state.generation else ""
            lines.append(
                f"  generation {entry.generation}  as of {entry.as_of}  {entry.rows} rows{mark}"
            )
        if not kept:
            lines.append("  none")
    return lines


def _change(kind: ChangeKind, key: str, row: RowState, source: str, gen: str) -> Change:
    return Change(
        kind,
        event_id(source, key, kind, row.digest, gen),
        key,
        row.facts,
        row.digest,
        sealed=row.sealed,
        subject_key=row.subject_key,
        column_key=row.column_key,
    )


def plan_rollback(current: State, target: State, *, source: str) -> Plan:
    """The events that take the hub's view from ``current`` back to ``target``."""
    plan = Plan()
    gen = str(current.generation)
    for key in sorted(set(current.rows) | set(target.rows)):
        now, then = current.rows.get(key), target.rows.get(key)
        if then is None:
            assert now is not None  # noqa: S101 - the key came from one of the two
            plan.changes.append(_change("resolved", key, now, source, gen))
        elif now is None:
            plan.changes.append(_change("opened", key, then, source, gen))
        elif now.digest != then.digest:
            plan.changes.append(_change("updated", key, then, source, gen))
        else:
            plan.unchanged += 1
    return plan


def _commit(
    connector: Connector, state: State, target: State, plan: Plan, sealed: dict[UUID, str]
) -> None:
    del sealed  # the restored rows keep their own sealed subjects
    state.rows = dict(target.rows)
    if plan.changes:
        state.generation += 1
    state.as_of = target.as_of
    state.in_flight = None
    connector.store.commit(state)


def rollback(
    connector: Connector, generation: int, *, dry_run: bool = False, progress: bool = True
) -> RunSummary:
    """Roll the source back to kept ``generation`` (see the module docstring)."""
    if connector.spec.source.kind != "snapshot":
        raise StateError(
            f"{connector.source_name} is a delta source: there is no snapshot to roll back; "
            "each row is published once and stays published"
        )
    with connector.store.lock(), connector.kafka_connection(dry_run) as kafka:
        state = connector.store.load()
        if state.in_flight is not None and state.in_flight.label != _label(generation):
            raise StateError(
                f"{connector.store.path}: an interrupted run ({state.in_flight.label or 'unknown'})"
                " must be finished first: run it again, then roll back"
            )
        target = connector.store.kept(generation)
        plan = plan_rollback(state, target, source=connector.source_name)
        summary = RunSummary(
            read=len(target.rows), valid=len(target.rows), unchanged=plan.unchanged
        )
        summary.dry_run = dry_run
        if dry_run:
            summary.published = len(plan.changes)
            summary.changes = count_changes(plan.changes)
            return summary
        if not plan.changes and state.in_flight is None:
            _commit(connector, state, target, plan, {})  # nothing to tell the hub
            return summary
        assert kafka is not None  # noqa: S101 - connected unless dry_run
        if target.as_of is None:
            raise StateError(f"{connector.store.history_dir}: generation {generation} has no date")
        as_of = date.fromisoformat(target.as_of)
        digest = hashlib.sha256(json.dumps(target.to_json(), sort_keys=True).encode()).hexdigest()
        connector.publish(
            state,
            plan,
            as_of,
            summary,
            export=(digest, _label(generation)),
            commit=lambda st, sealed: _commit(connector, st, target, plan, sealed),
            kafka=kafka,
            progress=progress,
        )
        return summary


def _label(generation: int) -> str:
    return f"rollback to generation {generation}"
