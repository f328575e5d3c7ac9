"""docs/rules.md: its example rule file loads, and behaves as the text around it says."""

from __future__ import annotations

import re
from pathlib import Path

from schemas.models import HouseholdEvent, JointActionProposal, Priority
from streams.rules import RuleBook, apply_event, parse_rules
from tests.unit.hub.factories import absence, arrears, consent

DOC = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def _example() -> RuleBook:
    (block,) = re.findall(r"```toml\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)
    return parse_rules(block, "docs/rules.md")


def _in(buurt: str, event: HouseholdEvent) -> HouseholdEvent:
    return event.model_copy(update={"buurt_code": buurt})


def _proposals(book: RuleBook, buurt: str, *, eviction: bool) -> list[JointActionProposal]:
    state, out = None, []
    for event in (consent(1, 0), arrears(1, 1, eviction=eviction), absence(1, 2)):
        step = apply_event(state, _in(buurt, event), book)
        state = step.state
        out += [o for o in step.outputs if isinstance(o, JointActionProposal)]
    return out


def test_the_example_loads_with_its_settings_and_rules() -> None:
    book = _example()
    assert (book.signal_ttl_days, book.cooldown_days, book.grace_days) == (90, 180, 14)
    assert [r.id for r in book.rules] == ["eviction_risk", "multi_domain", "multi_domain"]
    assert [r.id for r in book.for_buurt("BU03630001")] == ["eviction_risk", "multi_domain"]
    assert book.for_buurt("BU03630001")[1].min_domains == 3


def test_gemeente_variant_needs_three_domains_elsewhere_two_do() -> None:
    book = _example()
    assert _proposals(book, "BU03630001", eviction=False) == []
    (elsewhere,) = _proposals(book, "BU05990002", eviction=False)
    assert (elsewhere.rule, elsewhere.priority) == ("multi_domain", Priority.NORMAL)
    assert (elsewhere.respond_by - elsewhere.created_at.date()).days == 28


def test_eviction_risk_applies_in_every_gemeente() -> None:
    book = _example()
    for buurt in ("BU03630001", "BU05990002"):
        (proposal,) = _proposals(book, buurt, eviction=True)
        assert (proposal.rule, proposal.priority) == ("eviction_risk", Priority.URGENT)
