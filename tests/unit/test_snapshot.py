"""The snapshot diff and the delta ledger: which events an export implies, with stable ids."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.errors import StateError
from connectors.recovery import plan_rollback
from connectors.rows import MappedRow, Reject, facts_digest
from connectors.snapshot import Held, event_id, next_rows, plan_delta, plan_snapshot
from connectors.state import State, StateStore

DAY1, DAY2 = date(2026, 1, 1), date(2026, 1, 15)


def row(key: str, band: str = "one_month", line: int = 2) -> MappedRow:
    facts = {"since": "2025-12-01", "arrears_band": band}
    return MappedRow(
        line, key, facts, f"d-{band}", None, f"adr1|id-{key}".encode(), column_key=f"c-{key}"
    )


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


def test_a_rejected_row_whose_key_is_known_is_held_not_resolved():
    state = commit(State(), plan([row("a"), row("b"), row("c")], State()), DAY1)
    held = Held.of(
        [
            Reject(5, "since", "date outside the plausible window", row_key="a"),
            Reject(6, "Postcode", "is not a Dutch postcode", column_key="c-b"),
            Reject(7, "<row>", "has 3 columns, the header has 12"),
        ]
    )
    second = plan_snapshot([], state, source="p/R", as_of=DAY2, refresh_days=30, held=held)
    assert kinds(second) == [("c", "resolved")]
    assert second.held == 2
    after = next_rows(state, second, {}, DAY2)
    assert after["a"] == state.rows["a"]  # its previous event stands, unchanged
    assert after["b"] == state.rows["b"]


def _consent(key: str, registered: date | None) -> MappedRow:
    from datetime import UTC, datetime

    facts = {"status": "given", "intake_ref": "INT-1"}
    at = (
        datetime(registered.year, registered.month, registered.day, tzinfo=UTC)
        if registered
        else None
    )
    return MappedRow(2, key, facts, facts_digest(facts, at), at, b"adr1|x")


def test_a_delta_row_is_one_event_and_a_re_registration_is_another():
    first = plan_delta([_consent("k", date(2025, 12, 10))], State(), source="g/C")
    state = State(ledger={str(c.event_id): DAY1.isoformat() for c in first.changes})
    again = plan_delta([_consent("k", date(2025, 12, 10))], state, source="g/C")
    renewed = plan_delta([_consent("k", date(2026, 2, 20))], state, source="g/C")
    assert (len(again.changes), again.unchanged) == (0, 1)
    assert len(renewed.changes) == 1
    assert renewed.changes[0].event_id != first.changes[0].event_id


def test_a_ledger_of_state_version_1_republishes_nothing(tmp_path):
    old_row = _consent("k", date(2025, 12, 10))
    old_id = event_id("g/C", "k", "delta", facts_digest(old_row.facts))  # ids without the date
    doc = State(ledger={str(old_id): "2026-01-01"}).to_json()
    doc["version"] = 1
    del doc["legacy_ledger"]
    store = StateStore(tmp_path, "g", "C")
    store.path.write_text(__import__("json").dumps(doc))
    state = store.load()
    assert state.ledger == {}
    assert state.legacy_ledger == {str(old_id): "2026-01-01"}
    assert plan_delta([old_row], state, source="g/C").unchanged == 1  # published under v1
    renewed = plan_delta([_consent("k", date(2026, 2, 20))], state, source="g/C")
    assert len(renewed.changes) == 1  # registered after that run: new


def test_a_rollback_plan_takes_the_hub_back_to_the_kept_snapshot():
    one = commit(State(), plan([row("a"), row("b"), row("c")], State()), DAY1)
    wrong = plan([row("a", "two_months"), row("d")], one, as_of=DAY2)
    two = commit(one, wrong, DAY2)
    back = plan_rollback(two, one, source="p/R")
    assert kinds(back) == [("a", "updated"), ("b", "opened"), ("c", "opened"), ("d", "resolved")]
    updated = next(c for c in back.changes if c.row_key == "a")
    assert updated.facts == one.rows["a"].facts
    assert updated.sealed == one.rows["a"].sealed
    assert not {c.event_id for c in back.changes} & {c.event_id for c in wrong.changes}
    assert plan_rollback(one, one, source="p/R").changes == []


def test_committed_states_are_kept_by_generation_and_pruned(tmp_path):
    store = StateStore(tmp_path, "corporatie-x", "RentArrearsSignal", keep=2)
    state = State()
    for generation in (1, 2, 3):
        state.generation, state.as_of = generation, f"2026-0{generation}-01"
        store.commit(state)
    assert [(e.generation, e.as_of) for e in store.history()] == [
        (2, "2026-02-01"),
        (3, "2026-03-01"),
    ]
    assert store.kept(2).as_of == "2026-02-01"
    with pytest.raises(StateError, match="generation 1 is not kept \\(kept: 2, 3\\)"):
        store.kept(1)
