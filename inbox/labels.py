"""Dutch texts for the contract enums, as the coordinator reads them."""

from __future__ import annotations

from enum import StrEnum

from schemas.models import (
    Decision,
    DecisionOutcome,
    Domain,
    Priority,
    RetractionReason,
    SignalKind,
    SuggestedAction,
)

__all__ = ["LABELS", "label"]

LABELS: dict[StrEnum, str] = {
    Domain.WONEN: "Wonen",
    Domain.SCHOOL: "School",
    Domain.WERK: "Werk",
    Priority.URGENT: "Spoed",
    Priority.HIGH: "Hoog",
    Priority.NORMAL: "Normaal",
    Priority.LOW: "Laag",
    Decision.ACCEPTED: "Geaccepteerd: we pakken het op",
    Decision.DECLINED: "Afgewezen",
    Decision.UNREACHABLE: "Huishouden niet bereikbaar",
    Decision.CLOSED: "Afgesloten (kies een uitkomst)",
    DecisionOutcome.SUPPORT_STARTED: "Ondersteuning gestart",
    DecisionOutcome.PROBLEM_SOLVED: "Probleem opgelost",
    DecisionOutcome.REFERRED: "Doorverwezen",
    DecisionOutcome.HOUSEHOLD_DECLINED: "Huishouden wilde geen hulp",
    DecisionOutcome.NO_CONTACT: "Geen contact gekregen",
    DecisionOutcome.MOVED_AWAY: "Verhuisd",
    DecisionOutcome.NOT_APPLICABLE: "Niet van toepassing",
    RetractionReason.CONSENT_ENDED: "toestemming beëindigd",
    RetractionReason.SIGNALS_RESOLVED: "signalen opgelost",
    RetractionReason.SUPERSEDED: "vervangen door een nieuwer voorstel",
    RetractionReason.EXPIRED: "verlopen",
    SignalKind.RENT_ARREARS: "Huurachterstand",
    SignalKind.RENT_ARREARS_EVICTION_RISK: "Huurachterstand met risico op uitzetting",
    SignalKind.UNAUTHORISED_16H_4W: "Ongeoorloofd verzuim (16 uur in 4 weken)",
    SignalKind.LONG_TERM_RELATIVE: "Langdurig relatief verzuim",
    SignalKind.LUXURY: "Luxeverzuim",
    SignalKind.SIGNAL: "Signaalverzuim",
    SignalKind.ABSOLUTE: "Absoluut verzuim (niet ingeschreven)",
    SignalKind.EARLY_SCHOOL_LEAVING: "Voortijdig schoolverlaten",
    SignalKind.PLACEMENT_OFFERED: "Werkplek aangeboden",
    SignalKind.PLACEMENT_STARTED: "Werkplek gestart",
    SignalKind.PLACEMENT_ENDED: "Werkplek beëindigd",
    SignalKind.BENEFIT_STARTED: "Uitkering gestart",
    SignalKind.BENEFIT_ENDED: "Uitkering beëindigd",
    SuggestedAction.HOME_VISIT: "Huisbezoek",
    SuggestedAction.KITCHEN_TABLE_TALK: "Keukentafelgesprek",
    SuggestedAction.CASE_CONFERENCE: "Casusoverleg met de partners",
    SuggestedAction.DEBT_COUNSELLING: "Schuldhulpverlening",
    SuggestedAction.PAYMENT_ARRANGEMENT: "Betalingsregeling",
    SuggestedAction.ATTENDANCE_OFFICER: "Leerplichtambtenaar",
    SuggestedAction.YOUTH_SUPPORT: "Jeugdhulp",
    SuggestedAction.WORK_COACHING: "Werkcoaching",
    SuggestedAction.INCOME_SUPPORT: "Inkomensondersteuning",
}


def label(value: object) -> str:
    """The Dutch text of an enum value; other values as they are."""
    if isinstance(value, StrEnum):
        return LABELS.get(value, value.value)
    return str(value)
