"""The snapshot diff and the delta ledger: which events an export implies, with stable ids."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.errors import StateError
from connectors.rows import MappedRow
from connectors.snapshot import next_rows, plan_delta, plan_snapshot
from connectors.state import State, StateStore

DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 15)


def row(key: str, band: str = "one_month", line: int = 2) -> MappedRow:
    facts = {"since": "2025-12-01", "arrears_band": band}
    return MappedRow(line, key, facts, f"d-{band}", None, f"adr1|id-{key}".encode())


def plan(rows, state, as_of=DAY1, refresh=30):
    return plan_snapshot(rows, state, source="p/R", as_of=as_of, refresh_days=refresh)


def commit(state: State, p, as_of) -> State:
    sealed = {c.event_id: f"sealed-{c.row_key}" for c in p.changes}
    return State(generation=state.generation + 1, rows=next_rows(state, p, sealed, as_of))


def kinds(p):
    return sorted((c.row_key, c.kind) for c in p.changes)


def test_first_snapshot_opens_every_row():
    p = plan([row("a"), row("b")], State())
    assert kinds(p) == [("a", "opened"), ("b", "opened")]


def test_second_snapshot_implies_opened_updated_resolved_and_nothing_for_unchanged():
    first = plan([row("a"), row("b"), row("c")], State())
    state = commit(State(), first, DAY1)
    second = plan([row("a"), row("b", "two_months"), row("d")], state, as_of=DAY2)
    assert kinds(second) == [("b", "updated"), ("c", "resolved"), ("d", "opened")]
    assert second.unchanged == 1
    resolved = next(c for c in second.changes if c.kind == "resolved")
    assert resolved.sealed == "sealed-c"
    assert resolved.canonical_id is None  # a vanished row has no identifier in the clear


def test_unchanged_rows_are_observed_once_refresh_days_passed():
    state = commit(State(), plan([row("a")], State()), DAY1)
    assert kinds(plan([row("a")], state, as_of=date(2026, 1, 30), refresh=30)) == []
    assert kinds(plan([row("a")], state, as_of=date(2026, 1, 31), refresh=30)) == [
        ("a", "observed")
    ]


def test_event_ids_are_deterministic_until_the_state_is_committed():
    again = [c.event_id for c in plan([row("a"), row("b")], State()).changes]
    assert again == [c.event_id for c in plan([row("b"), row("a")], State()).changes][::-1]
    state = commit(State(), plan([row("a")], State()), DAY1)
    reopened = plan([row("a")], commit(state, plan([], state), DAY2))
    assert reopened.changes[0].event_id not in again  # a new episode is a new event


def test_duplicate_row_keys_are_rejected_after_the_first():
    p = plan([row("a", line=2), row("a", line=9)], State())
    assert [(r.line, r.reason) for r in p.rejects] == [(9, "duplicate of line 2 (same row key)")]
    assert len(p.changes) == 1


def test_delta_rows_are_published_once():
    rows = [row("a"), row("b", "two_months")]
    first = plan_delta(rows, State(), source="p/C")
    assert [c.kind for c in first.changes] == ["delta", "delta"]
    state = State(ledger={str(c.event_id): DAY1.isoformat() for c in first.changes})
    again = plan_delta(rows, state, source="p/C")
    assert again.changes == []
    assert again.unchanged == 2


def test_state_round_trips_atomically_with_mode_0600(tmp_path):
    store = StateStore(tmp_path, "corporatie-x", "RentArrearsSignal")
    state = commit(State(), plan([row("a")], State()), DAY1)
    store.save(state)
    assert store.load() == state
    assert oct(store.path.stat().st_mode & 0o777) == "0o600"
    assert list(tmp_path.iterdir()) == [store.path]  # no temporary file left behind
    assert b"adr1" not in store.path.read_bytes()


def test_two_runs_of_one_source_never_interleave(tmp_path):
    store = StateStore(tmp_path, "corporatie-x", "RentArrearsSignal")
    with store.lock():
        with pytest.raises(StateError, match="another run of this source"):  # noqa: SIM117
            with StateStore(tmp_path, "corporatie-x", "RentArrearsSignal").lock():
                pass
        with StateStore(tmp_path, "school-y", "SchoolAbsenceSignal").lock():
            pass  # another source is independent
    with store.lock():
        pass  # released
