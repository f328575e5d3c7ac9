"""The rule engine against the independent reference, on generated exports, without a broker.

The same scenario as the integration test ``test_hub_acceptance`` (which goes through the
real connectors, Kafka and the worker), here fed straight into the pure engine: the quick
tier that points at the engine or the reference when the two disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID, uuid5

import pytest

from connectors.synthetic.generate import generate
from schemas.models import (
    ActorRole,
    CollectionMethod,
    Consent,
    HouseholdEvent,
    JointActionProposal,
    ProposalRetraction,
    RentArrears,
    SchoolAbsence,
    WorkChange,
)
from streams.ingress.keys import init_keys
from streams.rules import apply_event, load_rules
from streams.rules.book import DEFAULT_RULES
from tests.unit.hub.reference import Event, Outcome, content_of, export_events, reference

RULES = Path(__file__).resolve().parents[3] / "streams" / "rules" / DEFAULT_RULES
NS = UUID("00000000-0000-5000-8000-000000000002")


def _payload(e: Event) -> Any:
    f = e.facts
    if e.domain == "consent":
        return Consent(status=e.status, purposes=sorted(f["purposes"]),
                       domains=sorted(f["domains"]), valid_from=f["valid_from"],
                       valid_until=f["valid_until"], notice_version="2026-01",
                       collection_method=CollectionMethod.WRITTEN,
                       recorded_by=ActorRole.INTAKE_OFFICER,
                       intake_ref=f["intake_ref"])  # fmt: skip
    if e.domain == "wonen":
        return RentArrears(status=e.status, since=f["since"], arrears_band=f["arrears_band"],
                           eviction_risk=f["eviction_risk"])  # fmt: skip
    if e.domain == "school":
        return SchoolAbsence(status=e.status, since=f["since"], kind=f["kind"],
                             pupil_ref=f"r{f['pupil']}")  # fmt: skip
    return WorkChange(status=e.status, since=f["since"], kind=f["kind"])


def _engine(exports: Path, keys: Path) -> Outcome:
    from streams.ingress.keys import hh_ref, load_keys

    pseudonym = load_keys(keys).pseudonym
    book = load_rules(RULES)
    states: dict[str, Any] = {}
    out = Outcome()
    for _name, events in export_events(exports):
        for n, e in enumerate(events):
            ref = hh_ref(pseudonym, e.address.encode("ascii"))
            event = HouseholdEvent(
                event_id=uuid5(NS, f"{_name}|{n}"), occurred_at=e.at, source="test",
                hh_ref=ref, buurt_code=e.facts.get("buurt_code"), payload=_payload(e),
            )  # fmt: skip
            step = apply_event(states.get(ref), event, book)
            if step.state is None:
                states.pop(ref, None)
            else:
                states[ref] = step.state
            for record in step.outputs:
                if isinstance(record, JointActionProposal):
                    out.proposals[record.proposal_id] = content_of(record)
                elif isinstance(record, ProposalRetraction):
                    out.retractions[record.proposal_id] = record.reason.value
    return out


@pytest.mark.parametrize(("households", "seed", "months"), [(2000, 7, 3), (600, 11, 5)])
def test_engine_agrees_with_the_reference(
    tmp_path: Path, households: int, seed: int, months: int
) -> None:
    exports = tmp_path / "exports"
    generate(exports, households=households, seed=seed, months=months)
    init_keys(tmp_path / "keys")
    expected = reference(exports, tmp_path / "keys", RULES)
    got = _engine(exports, tmp_path / "keys")
    assert len(expected.proposals) > 10, "the scenario should make proposals"
    assert got.proposals.keys() == expected.proposals.keys()
    assert got.proposals == expected.proposals
    assert got.retractions == expected.retractions
