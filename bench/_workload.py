"""Synthetic household events for the hub benchmarks, encoded with the real codec.

Every household first gives consent (all domains, all purposes), then its signals follow in
event-time order, cycling over Wonen, School and Werk, so that most households make the
``multi_domain`` rule fire. Pseudonyms are made up (HMAC of a counter), never derived from
anything real.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from schemas.codec import encode
from schemas.models import (
    AbsenceKind,
    ArrearsBand,
    CollectionMethod,
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Domain,
    HouseholdEvent,
    RentArrears,
    SchoolAbsence,
    SignalStatus,
    WorkChange,
    WorkSignalKind,
)
from schemas.models.enums import ActorRole

SOURCE = "urn:nld:kvknr:00000000.wijkhub-bench"
_NS = uuid.UUID("6f1d8a52-0c1e-4d5c-9d33-0a4c1b5e7f10")
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def hh_ref(i: int) -> str:
    """A made-up pseudonym for bench household ``i``."""
    return "k1:" + hashlib.sha256(f"bench-household-{i}".encode()).hexdigest()


def _payload(j: int, since: date) -> tuple[str, object]:
    kind = j % 3
    status = SignalStatus.OPENED if j < 3 else SignalStatus.OBSERVED
    if kind == 0:
        return "corporatie", RentArrears(
            status=status,
            since=since,
            arrears_band=ArrearsBand.TWO_MONTHS,
            eviction_risk=j % 7 == 0,
        )
    if kind == 1:
        return "school", SchoolAbsence(
            status=status, since=since, kind=AbsenceKind.UNAUTHORISED_16H_4W, pupil_ref="p1"
        )
    return "gemeente", WorkChange(status=status, since=since, kind=WorkSignalKind.BENEFIT_STARTED)


def events(
    n_events: int, n_households: int
) -> Iterator[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """``(key, value, headers)`` of ``n_events`` household events over ``n_households``."""
    per = max(2, n_events // n_households)
    made = 0
    for i in range(n_households):
        ref = hh_ref(i)
        key = ref.encode()
        start = T0 + timedelta(minutes=i % 1440)
        consent = Consent(
            status=ConsentStatus.GIVEN,
            purposes=tuple(ConsentPurpose),
            domains=tuple(Domain),
            valid_from=date(2026, 1, 1),
            valid_until=None,
            notice_version="2026-01",
            collection_method=CollectionMethod.WRITTEN,
            recorded_by=ActorRole.INTAKE_OFFICER,
            intake_ref=f"INT-{i:07d}",
        )
        items: list[tuple[str, object]] = [("gemeente", consent)]
        items += [_payload(j, (start + timedelta(days=j)).date()) for j in range(per - 1)]
        for j, (source, payload) in enumerate(items):
            if made >= n_events:
                return
            event = HouseholdEvent(
                event_id=uuid.uuid5(_NS, f"{i}:{j}"),
                occurred_at=start + timedelta(days=j, hours=1),
                source=source,
                hh_ref=ref,
                buurt_code=f"BU0363{i % 100:04d}",
                payload=payload,
            )
            value, headers = encode(event, source=SOURCE, time=event.occurred_at)
            made += 1
            yield key, value, headers
