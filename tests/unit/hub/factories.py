"""Builders of household events and decisions for the hub's unit tests (synthetic only)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid5

from schemas.models import (
    AbsenceKind,
    ActorRole,
    ArrearsBand,
    CollectionMethod,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    CoordinatorDecision,
    Decision,
    DecisionOutcome,
    Domain,
    HouseholdEvent,
    RentArrears,
    SchoolAbsence,
    SignalStatus,
    WorkChange,
    WorkSignalKind,
)

NS = UUID("00000000-0000-5000-8000-000000000001")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
BUURT = "BU03630001"


def hh_ref(n: int) -> str:
    return "k1:" + hashlib.sha256(f"household-{n}".encode()).hexdigest()


def at(day: int) -> datetime:
    return T0 + timedelta(days=day)


def _event(n: int, day: int, payload, tag: str, source: str) -> HouseholdEvent:
    return HouseholdEvent(
        event_id=uuid5(NS, f"{n}|{day}|{tag}|{payload.model_dump_json()}"),
        occurred_at=at(day),
        source=source,
        hh_ref=hh_ref(n),
        buurt_code=BUURT,
        payload=payload,
    )


def consent(
    n: int,
    day: int,
    status: ConsentStatus = ConsentStatus.GIVEN,
    *,
    valid_from: int | None = None,
    valid_days: int | None = None,
    domains: tuple[Domain, ...] = tuple(Domain),
    purposes: tuple[ConsentPurpose, ...] = tuple(ConsentPurpose),
    seq: int = 0,
) -> HouseholdEvent:
    start = (T0 + timedelta(days=day if valid_from is None else valid_from)).date()
    payload = Consent(
        status=status,
        purposes=purposes,
        domains=domains,
        valid_from=start,
        valid_until=start + timedelta(days=valid_days) if valid_days is not None else None,
        notice_version="2026-01",
        collection_method=CollectionMethod.WRITTEN,
        recorded_by=ActorRole.INTAKE_OFFICER,
        intake_ref=f"INT-{n:06d}",
    )
    return _event(n, day, payload, f"consent|{status}|{seq}", "gemeente-zuidstad")


def arrears(
    n: int,
    day: int,
    status: SignalStatus = SignalStatus.OPENED,
    *,
    eviction: bool = False,
    since: int = -30,
) -> HouseholdEvent:
    payload = RentArrears(
        status=status,
        since=(T0 + timedelta(days=since)).date(),
        arrears_band=ArrearsBand.TWO_MONTHS,
        eviction_risk=eviction,
    )
    return _event(n, day, payload, f"wonen|{status}|{eviction}", "corporatie-woonstad")


def absence(
    n: int,
    day: int,
    status: SignalStatus = SignalStatus.OPENED,
    *,
    pupil: str = "p1",
    since: int = -20,
) -> HouseholdEvent:
    payload = SchoolAbsence(
        status=status,
        since=(T0 + timedelta(days=since)).date(),
        kind=AbsenceKind.UNAUTHORISED_16H_4W,
        pupil_ref=pupil,
    )
    return _event(n, day, payload, f"school|{status}|{pupil}", "school-de-horizon")


def work(n: int, day: int, status: SignalStatus = SignalStatus.OPENED, since: int = -10):
    payload = WorkChange(
        status=status,
        since=(T0 + timedelta(days=since)).date(),
        kind=WorkSignalKind.BENEFIT_STARTED,
    )
    return _event(n, day, payload, f"werk|{status}", "gemeente-zuidstad")


def decision(
    n: int,
    proposal_id: UUID,
    day: int,
    what: Decision = Decision.ACCEPTED,
    outcome: DecisionOutcome | None = None,
) -> CoordinatorDecision:
    return CoordinatorDecision(
        decision_id=uuid5(NS, f"decision|{proposal_id}|{day}|{what}"),
        proposal_id=proposal_id,
        hh_ref=hh_ref(n),
        decided_at=at(day),
        decision=what,
        outcome=outcome,
        decided_by=ActorRole.COORDINATOR,
    )


def day_of(d: date) -> int:
    return (d - T0.date()).days
