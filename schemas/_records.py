"""What the codec needs to know per top-level record: CloudEvents type and id field."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.models import (
    AuditEntry,
    ConsentRecord,
    ContractModel,
    CoordinatorDecision,
    HouseholdEvent,
    JointActionProposal,
    PartnerFeedback,
    ProposalRetraction,
    RentArrearsSignal,
    SchoolAbsenceSignal,
    WorkSignal,
)

__all__ = ["RECORDS", "RecordSpec", "spec_for"]


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """A top-level record: its model, CloudEvents ``type``, and the field that is ``ce_id``."""

    model: type[ContractModel]
    ce_type: str
    id_field: str

    @property
    def name(self) -> str:
        """The Avro record name, e.g. ``RentArrearsSignal``."""
        return self.model.avro_name


# CloudEvents `type` per the NL GOV profile: reverse DNS, named after the domain (not an
# organisation), one version suffix. The suffix is the contract's major version: it changes
# only with a new, incompatible record (and topic), never for a compatible schema version.
RECORDS: tuple[RecordSpec, ...] = (
    RecordSpec(RentArrearsSignal, "nl.wijkaanpak.wonen.huurachterstand.v1", "event_id"),
    RecordSpec(SchoolAbsenceSignal, "nl.wijkaanpak.school.verzuim.v1", "event_id"),
    RecordSpec(WorkSignal, "nl.wijkaanpak.werk.participatie.v1", "event_id"),
    RecordSpec(ConsentRecord, "nl.wijkaanpak.toestemming.registratie.v1", "event_id"),
    RecordSpec(HouseholdEvent, "nl.wijkaanpak.huishouden.gebeurtenis.v1", "event_id"),
    RecordSpec(JointActionProposal, "nl.wijkaanpak.regie.voorstel.v1", "proposal_id"),
    RecordSpec(ProposalRetraction, "nl.wijkaanpak.regie.intrekking.v1", "proposal_id"),
    RecordSpec(CoordinatorDecision, "nl.wijkaanpak.regie.besluit.v1", "decision_id"),
    RecordSpec(PartnerFeedback, "nl.wijkaanpak.regie.terugkoppeling.v1", "feedback_id"),
    RecordSpec(AuditEntry, "nl.wijkaanpak.logging.toegang.v1", "entry_id"),
)

_BY_MODEL = {spec.model: spec for spec in RECORDS}


def spec_for(model: type[ContractModel]) -> RecordSpec:
    """The spec of a top-level record model; ``KeyError`` for a nested one."""
    return _BY_MODEL[model]
