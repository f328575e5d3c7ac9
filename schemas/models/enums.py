"""Every category in the contracts, as a closed enum (never free text).

Values are the Avro enum symbols, so they may not change once published: add a symbol in a
new schema version (with a ``default`` on the enum) instead of renaming one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AbsenceKind",
    "ActorRole",
    "ArrearsBand",
    "AuditAction",
    "AuditObjectType",
    "CollectionMethod",
    "ConsentPurpose",
    "ConsentStatus",
    "Decision",
    "DecisionOutcome",
    "Domain",
    "FeedbackCategory",
    "Partner",
    "Priority",
    "RetractionReason",
    "SignalKind",
    "SignalStatus",
    "SuggestedAction",
    "WorkSignalKind",
]


class Domain(StrEnum):
    """The three cogs of the integrale wijkaanpak."""

    WONEN = "wonen"
    SCHOOL = "school"
    WERK = "werk"


class Partner(StrEnum):
    """Kinds of partner organisation; each has its own feedback topic."""

    CORPORATIE = "corporatie"
    SCHOOL = "school"
    GEMEENTE = "gemeente"


class SignalStatus(StrEnum):
    """Life cycle of a signal as seen by the partner's export."""

    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    OBSERVED = "observed"


class ArrearsBand(StrEnum):
    """Rent arrears in months of rent, as a band (never an amount)."""

    UNDER_ONE_MONTH = "under_one_month"
    ONE_MONTH = "one_month"
    TWO_MONTHS = "two_months"
    THREE_TO_FIVE_MONTHS = "three_to_five_months"
    SIX_MONTHS_OR_MORE = "six_months_or_more"


class AbsenceKind(StrEnum):
    """Kinds of school absence, after DUO's Verzuimregister (verzuimmelding) categories."""

    UNAUTHORISED_16H_4W = "unauthorised_16h_4w"
    """Ongeoorloofd verzuim: 16 hours or more of lessons in 4 weeks."""
    LONG_TERM_RELATIVE = "long_term_relative"
    """Langdurig relatief verzuim: enrolled but absent for 4 weeks or more."""
    LUXURY = "luxury"
    """Luxeverzuim: time off outside the holidays without leave."""
    SIGNAL = "signal"
    """Signaalverzuim: frequent lateness or absence below the legal threshold."""
    ABSOLUTE = "absolute"
    """Absoluut verzuim: of compulsory school age and not enrolled at any school."""
    EARLY_SCHOOL_LEAVING = "early_school_leaving"
    """Voortijdig schoolverlaten: left education without a basic qualification."""


class WorkSignalKind(StrEnum):
    """Work and income changes the gemeente signals."""

    PLACEMENT_OFFERED = "placement_offered"
    PLACEMENT_STARTED = "placement_started"
    PLACEMENT_ENDED = "placement_ended"
    BENEFIT_STARTED = "benefit_started"
    BENEFIT_ENDED = "benefit_ended"


class SignalKind(StrEnum):
    """What kind of signal contributed to a proposal, across all domains (no details)."""

    RENT_ARREARS = "rent_arrears"
    RENT_ARREARS_EVICTION_RISK = "rent_arrears_eviction_risk"
    UNAUTHORISED_16H_4W = "unauthorised_16h_4w"
    LONG_TERM_RELATIVE = "long_term_relative"
    LUXURY = "luxury"
    SIGNAL = "signal"
    ABSOLUTE = "absolute"
    EARLY_SCHOOL_LEAVING = "early_school_leaving"
    PLACEMENT_OFFERED = "placement_offered"
    PLACEMENT_STARTED = "placement_started"
    PLACEMENT_ENDED = "placement_ended"
    BENEFIT_STARTED = "benefit_started"
    BENEFIT_ENDED = "benefit_ended"


class ConsentStatus(StrEnum):
    """Consent status, after the W3C Data Privacy Vocabulary (dpv:ConsentStatus)."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"
    EXPIRED = "expired"
    RENEWED = "renewed"


class ConsentPurpose(StrEnum):
    """Purposes a household can consent to."""

    EARLY_SIGNALLING = "early_signalling"
    """Vroegsignalering: combine signals of the domains in scope."""
    JOINT_ACTION = "joint_action"
    """Propose and coordinate a joint action by the partners."""
    FEEDBACK_TO_PARTNERS = "feedback_to_partners"
    """Tell the partners that sent signals the restricted outcome category."""


class CollectionMethod(StrEnum):
    """How the consent was collected (dpv:hasConsentNotice context)."""

    WRITTEN = "written"
    DIGITAL = "digital"
    VERBAL_RECORDED = "verbal_recorded"


class ActorRole(StrEnum):
    """Roles of people and systems acting on household data."""

    COORDINATOR = "coordinator"
    WIJKTEAM_MEMBER = "wijkteam_member"
    INTAKE_OFFICER = "intake_officer"
    PARTNER_CONTACT = "partner_contact"
    FUNCTIONAL_ADMIN = "functional_admin"
    AUDITOR = "auditor"
    HUB_SYSTEM = "hub_system"


class Priority(StrEnum):
    """How soon a proposal needs attention."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class SuggestedAction(StrEnum):
    """Actions a rule can suggest to the coordinator."""

    HOME_VISIT = "home_visit"
    KITCHEN_TABLE_TALK = "kitchen_table_talk"
    CASE_CONFERENCE = "case_conference"
    DEBT_COUNSELLING = "debt_counselling"
    PAYMENT_ARRANGEMENT = "payment_arrangement"
    ATTENDANCE_OFFICER = "attendance_officer"
    YOUTH_SUPPORT = "youth_support"
    WORK_COACHING = "work_coaching"
    INCOME_SUPPORT = "income_support"


class RetractionReason(StrEnum):
    """Why the hub retracted a proposal."""

    CONSENT_ENDED = "consent_ended"
    SIGNALS_RESOLVED = "signals_resolved"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"


class Decision(StrEnum):
    """A coordinator's decision on a proposal."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    CLOSED = "closed"


class DecisionOutcome(StrEnum):
    """Outcome of a closed proposal."""

    SUPPORT_STARTED = "support_started"
    PROBLEM_SOLVED = "problem_solved"
    REFERRED = "referred"
    HOUSEHOLD_DECLINED = "household_declined"
    NO_CONTACT = "no_contact"
    MOVED_AWAY = "moved_away"
    NOT_APPLICABLE = "not_applicable"


class FeedbackCategory(StrEnum):
    """The restricted outcome a partner hears about the signals it sent."""

    IN_PROGRESS = "in_progress"
    SUPPORT_STARTED = "support_started"
    CLOSED = "closed"
    NOT_TAKEN_UP = "not_taken_up"


class AuditAction(StrEnum):
    """NEN 7513 actions on household data."""

    VIEW = "view"
    DECIDE = "decide"
    EXPORT = "export"
    PURGE = "purge"


class AuditObjectType(StrEnum):
    """What an audit entry is about."""

    PROPOSAL = "proposal"
    HOUSEHOLD = "household"
