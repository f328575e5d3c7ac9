"""The topic catalogue: every wijkhub topic, its key, size, retention and who may use it.

Names are relative to the topic prefix (``KafkaSettings.topic_prefix``, default
``wijkhub``): ``settings.topic("proposals.v1")`` is ``wijkhub.proposals.v1``. Feedback has one
topic per partner kind, ``feedback.<partner>.v1``, so a partner's ACL can grant exactly its own.
:func:`ensure_topics` applies the catalogue to a cluster; ``wijkhub topics create`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from schemas.models import (
    AuditEntry,
    ConsentRecord,
    ContractModel,
    CoordinatorDecision,
    HouseholdEvent,
    JointActionProposal,
    Partner,
    PartnerFeedback,
    ProposalRetraction,
    RentArrearsSignal,
    SchoolAbsenceSignal,
    WorkSignal,
)

if TYPE_CHECKING:
    from schemas._topics_admin import TopicReport
    from schemas.settings import KafkaSettings

__all__ = [
    "CATALOGUE",
    "DAY_MS",
    "Role",
    "TopicSpec",
    "ensure_topics",
    "feedback_topic",
    "topic_spec",
]

DAY_MS = 24 * 60 * 60 * 1000


class Role(StrEnum):
    """Who reads and writes topics; each maps to Kafka principals and prefixed ACLs."""

    CORPORATIE = "partner-corporatie"
    SCHOOL = "partner-school"
    GEMEENTE = "partner-gemeente"
    HUB = "hub"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"


_PARTNER_ROLE = {
    Partner.CORPORATIE: Role.CORPORATIE,
    Partner.SCHOOL: Role.SCHOOL,
    Partner.GEMEENTE: Role.GEMEENTE,
}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic of the catalogue."""

    name: str
    """Name relative to the prefix, e.g. ``ingest.wonen.v1``."""
    description: str
    key: str
    """What the Kafka key holds (UTF-8), e.g. ``hh_ref``; empty for raw dead letters."""
    records: tuple[type[ContractModel], ...]
    """Records a message value may hold (empty: raw bytes, see the description)."""
    writers: frozenset[Role]
    readers: frozenset[Role]
    retention_days: int
    partitions: int
    replication: int = 3
    min_insync_replicas: int = 2
    cleanup_policy: str = "delete"
    extra_config: dict[str, str] = field(default_factory=dict)

    def config(self, *, replication: int | None = None) -> dict[str, str]:
        """Topic-level Kafka configuration; ``replication`` caps ``min.insync.replicas``."""
        replicas = self.replication if replication is None else replication
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_days * DAY_MS),
            "min.insync.replicas": str(min(self.min_insync_replicas, max(replicas - 1, 1))),
            **self.extra_config,
        }


def feedback_topic(partner: Partner | str) -> str:
    """The feedback topic of a partner kind, e.g. ``feedback.school.v1``."""
    return f"feedback.{Partner(partner).value}.v1"


def _ingest(domain: str, record: type[ContractModel], writer: Role, what: str) -> TopicSpec:
    return TopicSpec(
        name=f"ingest.{domain}.v1",
        description=f"{what}, published by the partner's connector. Key: the partner's own "
        "keyed hash of the household (subject_key), so one household's events of a partner "
        "stay in order on one partition; it links nothing across partners. Holds only sealed "
        "identifiers; read by the hub's ingress alone.",
        key="subject_key",
        records=(record,),
        writers=frozenset({writer}),
        readers=frozenset({Role.HUB}),
        retention_days=7,
        partitions=6,
    )


CATALOGUE: tuple[TopicSpec, ...] = (
    _ingest("wonen", RentArrearsSignal, Role.CORPORATIE, "Rent arrears signals"),
    _ingest("school", SchoolAbsenceSignal, Role.SCHOOL, "School absence signals"),
    _ingest("werk", WorkSignal, Role.GEMEENTE, "Work and income signals"),
    _ingest("consent", ConsentRecord, Role.GEMEENTE, "Consent given, refused or ended"),
    TopicSpec(
        name="household-events.v1",
        description="Ingest records pseudonymised by the hub: the sealed identifier replaced by "
        "hh_ref. Key: hh_ref, so one household's events stay in order on one partition.",
        key="hh_ref",
        records=(HouseholdEvent,),
        writers=frozenset({Role.HUB}),
        readers=frozenset({Role.HUB}),
        retention_days=30,
        partitions=12,
    ),
    TopicSpec(
        name="proposals.v1",
        description="Joint action proposals for coordinators, and their retractions. Key: hh_ref.",
        key="hh_ref",
        records=(JointActionProposal, ProposalRetraction),
        writers=frozenset({Role.HUB}),
        readers=frozenset({Role.COORDINATOR, Role.HUB}),
        retention_days=90,
        partitions=12,
    ),
    TopicSpec(
        name="decisions.v1",
        description="Coordinators' decisions on proposals. Key: hh_ref (co-partitioned with "
        "household-events.v1).",
        key="hh_ref",
        records=(CoordinatorDecision,),
        writers=frozenset({Role.COORDINATOR}),
        readers=frozenset({Role.HUB}),
        retention_days=180,
        partitions=12,
    ),
    *(
        TopicSpec(
            name=feedback_topic(partner),
            description=f"Restricted outcome categories for the {partner.value} partners' own "
            "signals. Key: feedback_id.",
            key="feedback_id",
            records=(PartnerFeedback,),
            writers=frozenset({Role.HUB}),
            readers=frozenset({_PARTNER_ROLE[partner]}),
            retention_days=30,
            partitions=3,
        )
        for partner in Partner
    ),
    TopicSpec(
        name="audit.v1",
        description="NEN 7513 audit trail: who viewed, decided, exported or purged what, when, "
        "on whose behalf. Key: entry_id. Kept five years.",
        key="entry_id",
        records=(AuditEntry,),
        writers=frozenset({Role.HUB, Role.COORDINATOR}),
        readers=frozenset({Role.AUDITOR}),
        retention_days=5 * 365 + 1,
        partitions=6,
    ),
    TopicSpec(
        name="deadletter.v1",
        description="Messages that could not be decoded or processed, with their original key, "
        "value and headers, plus dlq_topic, dlq_partition, dlq_offset and dlq_reason headers. "
        "Never holds consent records.",
        key="the original key",
        records=(),
        writers=frozenset({Role.HUB}),
        readers=frozenset({Role.HUB}),
        retention_days=14,
        partitions=3,
    ),
    TopicSpec(
        name="quarantine.v1",
        description="Parked records: consent records the hub could not read (never dropped, "
        "never dead-lettered) and the records held behind them, with the original key, value "
        "and headers plus q_state, q_reason, q_topic, q_partition and q_offset headers. Key: "
        "the parked record's id. Released or discarded by an operator (`wijkhub quarantine`), "
        "each audited on audit.v1; compacted, so a record's latest state is kept.",
        key="quarantine id",
        records=(),
        writers=frozenset({Role.HUB}),
        readers=frozenset({Role.HUB}),
        retention_days=90,
        partitions=6,
        cleanup_policy="compact,delete",
        extra_config={
            # a parked value may be as large as the broker's own limit, plus our headers
            "max.message.bytes": str(2 * 1024 * 1024),
            # how long a release or discard stays visible after the record itself is gone
            "delete.retention.ms": str(7 * DAY_MS),
        },
    ),
)
"""Every topic, in pipeline order."""

_BY_NAME = {spec.name: spec for spec in CATALOGUE}


def topic_spec(name: str) -> TopicSpec:
    """The spec of a catalogue topic by relative name; ``KeyError`` if there is none."""
    return _BY_NAME[name]


def ensure_topics(
    settings: KafkaSettings,
    *,
    catalogue: tuple[TopicSpec, ...] = CATALOGUE,
    replication: int | None = None,
) -> TopicReport:
    """Create missing topics and report drift of existing ones; safe to run again.

    ``replication`` overrides the catalogue's replication factor; by default it is capped at
    the number of brokers (so a one-broker dev cluster works). Needs kafka-python
    (``pip install wijkhub[connectors]`` or ``[hub]``).
    """
    from schemas._topics_admin import apply

    return apply(settings, catalogue, replication=replication)
