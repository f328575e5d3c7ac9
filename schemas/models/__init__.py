"""Typed models of every record in the contracts; each matches the current ``.avsc``."""

from schemas.models._base import ContractModel, IngestEnvelope
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
    "ActorRole",
    "ArrearsBand",
    "AuditAction",
    "AuditEntry",
    "AuditObjectType",
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
    "HouseholdEvent",
    "HouseholdPayload",
    "IngestEnvelope",
    "IngestRecord",
    "JointActionProposal",
    "Partner",
    "PartnerFeedback",
    "Priority",
    "ProposalRetraction",
    "RentArrears",
    "RentArrearsSignal",
    "RetractionReason",
    "SchoolAbsence",
    "SchoolAbsenceSignal",
    "SignalKind",
    "SignalStatus",
    "SuggestedAction",
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
