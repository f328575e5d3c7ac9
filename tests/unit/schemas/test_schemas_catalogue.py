"""The topic catalogue: complete, consistent with the records, least privilege."""

from __future__ import annotations

import pytest

from schemas._registry import registry
from schemas.catalogue import CATALOGUE, DAY_MS, Role, feedback_topic, topic_spec
from schemas.cli import build_parser
from schemas.models import TOP_LEVEL_RECORDS, Partner

EXPECTED = [
    "ingest.wonen.v1", "ingest.school.v1", "ingest.werk.v1", "ingest.consent.v1",
    "household-events.v1", "proposals.v1", "decisions.v1", "feedback.corporatie.v1",
    "feedback.school.v1", "feedback.gemeente.v1", "audit.v1", "deadletter.v1", "quarantine.v1",
]  # fmt: skip


def test_names() -> None:
    assert [spec.name for spec in CATALOGUE] == EXPECTED
    assert feedback_topic(Partner.SCHOOL) == "feedback.school.v1"
    assert feedback_topic("gemeente") == "feedback.gemeente.v1"
    with pytest.raises(ValueError, match="bakker"):
        feedback_topic("bakker")


def test_every_record_has_a_topic_and_a_schema() -> None:
    on_topics = {r for spec in CATALOGUE for r in spec.records}
    assert on_topics == set(TOP_LEVEL_RECORDS)
    for spec in CATALOGUE:
        for record in spec.records:
            assert record in registry().by_model
            if spec.key not in {"subject_key"}:  # not a field: the partner's keyed hash
                assert spec.key in record.model_fields, (spec.name, record.__name__)


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_every_topic_has_retention_roles_and_sane_config(spec) -> None:
    config = spec.config()
    assert config["cleanup.policy"] in {"delete", "compact", "compact,delete"}
    assert 0 < int(config["retention.ms"]) <= 6 * 365 * DAY_MS
    assert spec.writers
    assert spec.readers
    assert spec.partitions >= 1
    assert spec.replication >= 3
    assert int(config["min.insync.replicas"]) == 2
    assert spec.config(replication=1)["min.insync.replicas"] == "1"


def test_ingest_is_write_own_read_hub_and_kept_days_not_months() -> None:
    writers = {}
    for spec in CATALOGUE:
        if spec.name.startswith("ingest."):
            assert spec.readers == {Role.HUB}
            assert spec.retention_days <= 14
            writers[spec.name] = spec.writers
    assert writers["ingest.wonen.v1"] == {Role.CORPORATIE}
    assert writers["ingest.school.v1"] == {Role.SCHOOL}


def test_partners_read_only_their_own_feedback() -> None:
    for partner in Partner:
        readers = topic_spec(feedback_topic(partner)).readers
        assert len(readers) == 1
        assert next(iter(readers)).value == f"partner-{partner.value}"
    partner_roles = {Role.CORPORATIE, Role.SCHOOL, Role.GEMEENTE}
    readable = {s.name for s in CATALOGUE if s.readers & partner_roles}
    assert readable == {feedback_topic(p) for p in Partner}


def test_household_keyed_topics_are_co_partitioned() -> None:
    keyed = [s for s in CATALOGUE if s.key == "hh_ref"]
    assert {s.partitions for s in keyed} == {topic_spec("household-events.v1").partitions}


def test_commands_are_registered() -> None:
    parser = build_parser()
    args = parser.parse_args(["topics", "create"])
    assert callable(args.handler)
    assert args.replication is None
    args = parser.parse_args(["asyncapi", "--out", "x.json"])
    assert callable(args.handler)
