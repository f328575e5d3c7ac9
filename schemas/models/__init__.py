"""Typed models of every record in the contracts; each matches the current ``.avsc``."""

from schemas.models._base import (
    ActorId,
    BuurtCode,
    ContractModel,
    HhRef,
    IngestEnvelope,
    ObjectId,
    OpaqueRef,
    PartnerId,
    RuleId,
    VersionTag,
)
from schemas.models.audit import AuditEntry
from schemas.models.consent import Consent, ConsentRecord
from schemas.models.decisions import CoordinatorDecision
from schemas.models.enums import (
    AbsenceKind,
    ActorRole,
    ArrearsBand,
    AuditAction,
    AuditObjectType,
    CollectionMethod,
    ConsentPurpose,
    ConsentStatus,
    Decision,
    DecisionOutcome,
    Domain,
    FeedbackCategory,
    Partner,
    Priority,
    RetractionReason,
    SignalKind,
    SignalStatus,
    SuggestedAction,
    WorkSignalKind,
)
from schemas.models.feedback import PartnerFeedback
from schemas.models.household import HouseholdEvent, HouseholdPayload, IngestRecord
from schemas.models.proposals import ContributingSignal, JointActionProposal, ProposalRetraction
from schemas.models.school import SchoolAbsence, SchoolAbsenceSignal
from schemas.models.werk import WorkChange, WorkSignal
from schemas.models.wonen import RentArrears, RentArrearsSignal

__all__ = [
    "TOP_LEVEL_RECORDS",
    "AbsenceKind",
    "ActorId",
    "ActorRole",
    "ArrearsBand",
    "AuditAction",
    "AuditEntry",
    "AuditObjectType",
    "BuurtCode",
    "CollectionMethod",
    "Consent",
    "ConsentPurpose",
    "ConsentRecord",
    "ConsentStatus",
    "ContractModel",
    "ContributingSignal",
    "CoordinatorDecision",
    "Decision",
    "DecisionOutcome",
    "Domain",
    "FeedbackCategory",
    "HhRef",
    "HouseholdEvent",
    "HouseholdPayload",
    "IngestEnvelope",
    "IngestRecord",
    "JointActionProposal",
    "ObjectId",
    "OpaqueRef",
    "Partner",
    "PartnerFeedback",
    "PartnerId",
    "Priority",
    "ProposalRetraction",
    "RentArrears",
    "RentArrearsSignal",
    "RetractionReason",
    "RuleId",
    "SchoolAbsence",
    "SchoolAbsenceSignal",
    "SignalKind",
    "SignalStatus",
    "SuggestedAction",
    "VersionTag",
    "WorkChange",
    "WorkSignal",
    "WorkSignalKind",
]

TOP_LEVEL_RECORDS: tuple[type[ContractModel], ...] = (
    RentArrearsSignal,
    SchoolAbsenceSignal,
    WorkSignal,
    ConsentRecord,
    HouseholdEvent,
    JointActionProposal,
    ProposalRetraction,
    CoordinatorDecision,
    PartnerFeedback,
    AuditEntry,
)
"""Every record that travels as a Kafka message value, in catalogue order."""
