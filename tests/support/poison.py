"""Synthetic ingest records for the poison-record tests: valid ones and each kind of poison."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

from nacl.public import PublicKey, SealedBox

from schemas.codec import encode
from schemas.identity import canonical_id
from schemas.models import (
    AbsenceKind,
    ActorRole,
    ArrearsBand,
    CollectionMethod,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    Domain,
    RentArrearsSignal,
    SchoolAbsenceSignal,
    SignalStatus,
    WorkSignal,
    WorkSignalKind,
)
from streams.ingress.keys import HubKeys, hh_ref

SOURCE = "urn:nld:oin:00000000000000000001:systeem:test"
AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Encoded = tuple[bytes, list[tuple[str, bytes]]]


def address(n: int) -> bytes:
    """The canonical identifier of synthetic household ``n``."""
    return canonical_id("1234AB", n, "")


def household(keys: HubKeys, n: int) -> str:
    """The ``hh_ref`` the hub gives household ``n``."""
    return hh_ref(keys.pseudonym, address(n))


def sealed(public: PublicKey, n: int) -> bytes:
    return bytes(SealedBox(public).encrypt(address(n)))


def _common(public: PublicKey, n: int, source: str, day: int = 0) -> dict[str, Any]:
    return {
        "event_id": uuid.uuid4(),
        "occurred_at": AT.replace(day=1 + day),
        "source": source,
        "sealed_subject": sealed(public, n),
        "buurt_code": "BU03630001",
    }


def consent_fields(public: PublicKey, n: int) -> dict[str, Any]:
    return {
        **_common(public, n, "gemeente"),
        "status": ConsentStatus.GIVEN,
        "purposes": tuple(ConsentPurpose),
        "domains": tuple(Domain),
        "valid_from": date(2026, 1, 1),
        "notice_version": "2026-01",
        "collection_method": CollectionMethod.WRITTEN,
        "recorded_by": ActorRole.INTAKE_OFFICER,
        "intake_ref": f"INT-{n:06d}",
    }


def consent(public: PublicKey, n: int) -> Encoded:
    return encode(ConsentRecord(**consent_fields(public, n)), source=SOURCE)


def arrears(public: PublicKey, n: int) -> Encoded:
    record = RentArrearsSignal(
        **_common(public, n, "corporatie", day=1), status=SignalStatus.OPENED,
        since=date(2026, 2, 1), arrears_band=ArrearsBand.TWO_MONTHS, eviction_risk=False,
    )  # fmt: skip
    return encode(record, source=SOURCE)


def work(public: PublicKey, n: int) -> Encoded:
    record = WorkSignal(
        **_common(public, n, "gemeente", day=1), status=SignalStatus.OPENED,
        since=date(2026, 2, 1), kind=WorkSignalKind.BENEFIT_STARTED,
    )  # fmt: skip
    return encode(record, source=SOURCE)


def absence(public: PublicKey, n: int) -> Encoded:
    record = SchoolAbsenceSignal(
        **_common(public, n, "school", day=1), status=SignalStatus.OPENED,
        since=date(2026, 2, 1), kind=AbsenceKind.UNAUTHORISED_16H_4W, pupil_ref=f"LL-{n:05d}",
    )  # fmt: skip
    return encode(record, source=SOURCE)


# -- poison --------------------------------------------------------------------------------


def random_bytes(seed: int) -> Encoded:
    return random.Random(seed).randbytes(200), []  # noqa: S311 - synthetic test data


def without_headers(public: PublicKey, n: int) -> Encoded:
    value, _ = consent(public, n)
    return value, []


def bad_intake_ref(public: PublicKey, n: int) -> Encoded:
    """A consent record whose ``intake_ref`` breaks its pattern (the Avro writer does not check
    patterns; the hub does)."""
    record = ConsentRecord.model_construct(**{**consent_fields(public, n),
                                              "intake_ref": "intake 42 (zie dossier)"})  # fmt: skip
    return encode(record, source=SOURCE)


def forged_id(public: PublicKey, n: int) -> Encoded:
    """A consent record whose CloudEvents id is not its event id."""
    value, headers = consent(public, n)
    return value, [(k, str(uuid.uuid4()).encode() if k == "ce_id" else v) for k, v in headers]


def oversize(size: int) -> Encoded:
    """A value of ``size`` bytes that starts like an Avro single-object message."""
    noise = random.Random(size).randbytes(size - 2)  # noqa: S311 - synthetic test data
    return b"\xc3\x01" + noise, []
