"""A synthetic population of households and how their situation changes month by month.

Everything here is invented: postcodes are Dutch-shaped (4 digits, 2 letters) but drawn at
random, house numbers and additions too. A latent ``stress`` per household makes problems
cluster, so households appear at several partners and multi-domain cases exist.
Deterministic: one ``random.Random(seed)`` drives everything, in a fixed order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = ["Arrears", "Consent", "Household", "Work", "advance", "make_population"]

_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"
_UNISSUED = frozenset({"SA", "SD", "SS"})
_ADDITIONS = ("a", "b", "c", "bis", "1", "2", "hs", "3hoog", "a2")
_STREETS = (
    "Lindelaan",
    "Kastanjestraat",
    "Molenweg",
    "Havenkade",
    "Coëhoornstraat",
    "Dorpsstraat",
    "Beukenhof",
    "Zuidsingel",
    "Crèchepad",
    "Rozengracht",
    "Schoolstraat",
    "Vlietweg",
)
_TOWNS = ("Zuidstad", "Noordwijkerveen", "Oosterbroek", "Westerhaven")
ABSENCE_KINDS = ("ongeoorloofd-16u", "relatief-lang", "luxe", "signaal", "absoluut", "vsv")
_ABSENCE_WEIGHTS = (40, 15, 10, 25, 3, 7)


@dataclass(slots=True)
class Arrears:
    """An open rent arrears episode."""

    since: date
    months: float
    eviction: bool = False


@dataclass(slots=True)
class Work:
    """The current state of a work dossier."""

    kind: str
    since: date


@dataclass(slots=True)
class Consent:
    """The household's consent, as registered at intake."""

    intake_ref: str
    status: str
    valid_from: date
    valid_until: date | None = None


@dataclass(slots=True)
class Household:
    """One synthetic household and its current situation at each partner."""

    number: int
    postcode: str
    house_number: int
    addition: str
    street: str
    town: str
    buurt: str
    stress: float
    contract: str | None
    pupils: list[str]
    dossier: str | None
    arrears: Arrears | None = None
    absences: dict[str, tuple[str, date]] = field(default_factory=dict)
    work: Work | None = None
    consent: Consent | None = None
    consent_events: list[tuple[str, date]] = field(default_factory=list)

    @property
    def canonical(self) -> str:
        """The canonical identifier text (see schemas.identity), for the ground truth."""
        return f"adr1|{self.postcode}|{self.house_number}|{self.addition}"

    def domains(self) -> list[str]:
        """Domains with an open signal now."""
        found = ["wonen"] if self.arrears else []
        found += ["school"] if self.absences else []
        found += ["werk"] if self.work else []
        return found


def random_postcode(rng: random.Random, low: int, high: int) -> str:
    """A Dutch-shaped postcode with digits in [low, high] (never an unissued letter pair)."""
    while True:
        letters = rng.choice(_LETTERS) + rng.choice(_LETTERS)
        if letters not in _UNISSUED:
            return f"{rng.randint(low, high)}{letters}"


def _day_in_month_before(rng: random.Random, month: date) -> date:
    return month - timedelta(days=rng.randint(1, 28))


def make_population(rng: random.Random, households: int, start: date) -> list[Household]:
    """``households`` households at unique addresses, with their situation at ``start``."""
    people: list[Household] = []
    seen: set[str] = set()
    while len(people) < households:
        postcode = random_postcode(rng, 1000, 8999)  # 9xxx is kept for bad rows' outsiders
        if postcode in seen:
            continue
        seen.add(postcode)
        street, town = rng.choice(_STREETS), rng.choice(_TOWNS)
        buurt = f"BU{rng.randint(1, 1999):04d}{rng.randint(0, 99):02d}{rng.randint(0, 99):02d}"
        for house_number in sorted(rng.sample(range(1, 160), 16)):
            if len(people) >= households:
                break
            n = len(people)
            stress = rng.random() ** 3
            addition = rng.choice(_ADDITIONS) if rng.random() < 0.1 else ""
            pupils = [f"{100000 + n * 4 + k}" for k in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))]
            hh = Household(
                number=n,
                postcode=postcode,
                house_number=house_number,
                addition=addition,
                street=street,
                town=town,
                buurt=buurt,
                stress=stress,
                contract=f"HC{200000 + n}" if rng.random() < 0.5 + 0.3 * stress else None,
                pupils=pupils,
                dossier=f"W-{300000 + n}" if rng.random() < 0.2 + 0.5 * stress else None,
            )
            if hh.contract and rng.random() < 0.04 + 0.3 * stress:
                months = float(rng.randint(1, 6))
                hh.arrears = Arrears(start - timedelta(days=int(30 * months)), months)
            people.append(hh)
    return people


def _advance_arrears(rng: random.Random, hh: Household, month: date) -> None:
    if hh.contract is None:
        return
    if hh.arrears is None:
        if rng.random() < 0.02 + 0.12 * hh.stress:
            hh.arrears = Arrears(_day_in_month_before(rng, month), rng.choice((0.5, 1.0, 1.5)))
        return
    if rng.random() < 0.2:
        hh.arrears = None
        return
    hh.arrears.months += rng.choice((0.0, 0.5, 1.0, 1.0))
    if hh.arrears.months >= 3 and rng.random() < 0.3:
        hh.arrears.eviction = True


def _advance_school(rng: random.Random, hh: Household, month: date) -> None:
    for pupil in hh.pupils:
        if pupil in hh.absences:
            if rng.random() < 0.35:
                del hh.absences[pupil]
            elif rng.random() < 0.1:  # the school corrects the start date of the report
                kind, since = hh.absences[pupil]
                hh.absences[pupil] = (kind, since - timedelta(days=7))
        elif rng.random() < 0.02 + 0.1 * hh.stress:
            kind = rng.choices(ABSENCE_KINDS, weights=_ABSENCE_WEIGHTS)[0]
            hh.absences[pupil] = (kind, _day_in_month_before(rng, month))


_NEXT_WORK = {
    "uitkering_gestart": (("plaatsing_aangeboden", 0.15), ("uitkering_beeindigd", 0.05)),
    "plaatsing_aangeboden": (("plaatsing_gestart", 0.4),),
    "plaatsing_gestart": (("plaatsing_beeindigd", 0.15),),
}


def _advance_work(rng: random.Random, hh: Household, month: date) -> None:
    if hh.dossier is None:
        return
    if hh.work is None:
        if rng.random() < 0.03 + 0.1 * hh.stress:
            kind = "uitkering_gestart" if rng.random() < 0.6 else "plaatsing_aangeboden"
            hh.work = Work(kind, _day_in_month_before(rng, month))
        return
    if hh.work.kind.endswith("beeindigd"):
        if rng.random() < 0.5:
            hh.work = None  # the trajectory is closed and leaves the list
        return
    for kind, chance in _NEXT_WORK.get(hh.work.kind, ()):
        if rng.random() < chance:
            hh.work = Work(kind, _day_in_month_before(rng, month))
            return


def _advance_consent(rng: random.Random, hh: Household, month: date) -> None:
    hh.consent_events = []
    day = _day_in_month_before(rng, month)
    if hh.consent is None:
        if len(hh.domains()) >= 2 and rng.random() < 0.6:
            status = "gegeven" if rng.random() < 0.75 else "geweigerd"
            hh.consent = Consent(f"INT-{month.year}-{hh.number:06d}", status, day)
            hh.consent_events.append((status, day))
    elif hh.consent.status == "gegeven" and rng.random() < 0.04:
        hh.consent.status, hh.consent.valid_until = "ingetrokken", day
        hh.consent_events.append(("ingetrokken", day))


def advance(rng: random.Random, people: list[Household], month: date, *, consent: bool) -> None:
    """Move every household to ``month``; ``consent=False`` for the burn-in before exports."""
    for hh in people:
        _advance_arrears(rng, hh, month)
        _advance_school(rng, hh, month)
        _advance_work(rng, hh, month)
        if consent:
            _advance_consent(rng, hh, month)
