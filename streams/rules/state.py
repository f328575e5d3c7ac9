"""Per-household state, and its compact wire form for the household table.

The table holds one entry per *consenting* household (no consent, no entry). An entry is a
compact JSON array of small ints and short strings, typically 300-600 bytes: dates are day
ordinals, times epoch seconds, sets of domains and purposes bit masks, event ids short
prefixes. It holds no identifier: the key is the ``hh_ref`` pseudonym, the intake_ref is the
gemeente's opaque reference, school signals are keyed by a hash of the pupil reference.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from schemas.models import ConsentPurpose, Domain

__all__ = [
    "ConsentState",
    "DecisionState",
    "Ended",
    "Household",
    "ProposalState",
    "SignalState",
    "decode_state",
    "domain_mask",
    "domains_of",
    "encode_state",
    "purpose_mask",
    "short_id",
    "signal_key",
]

_FORMAT = 1
DOMAINS: tuple[Domain, ...] = tuple(Domain)
DOMAIN_INDEX: dict[Domain, int] = {d: i for i, d in enumerate(DOMAINS)}
"""The bit of each domain in a mask (its index in ``DOMAINS``)."""
PURPOSES: tuple[ConsentPurpose, ...] = tuple(ConsentPurpose)


def domain_mask(domains: Iterable[Domain]) -> int:
    """A set of domains as a bit mask (bit i is ``tuple(Domain)[i]``)."""
    return sum(1 << DOMAIN_INDEX[d] for d in set(domains))


def domains_of(mask: int) -> tuple[Domain, ...]:
    """The domains in a bit mask, in ``Domain`` order."""
    return tuple(d for i, d in enumerate(DOMAINS) if mask >> i & 1)


def purpose_mask(purposes: Iterable[ConsentPurpose]) -> int:
    """A set of consent purposes as a bit mask."""
    return sum(1 << PURPOSES.index(p) for p in set(purposes))


def short_id(event_id: UUID) -> str:
    """The first 8 bytes of an event id, base64: enough to recognise a duplicate."""
    return base64.b64encode(event_id.bytes[:8]).decode("ascii")[:11]


def signal_key(domain: Domain, *parts: str) -> str:
    """Which of a household's signals an event is about.

    Wonen and werk have one signal per household (one tenancy, one dossier); school has one
    per pupil and kind of absence. The pupil reference is hashed, never stored.
    """
    prefix = str(DOMAIN_INDEX[domain])
    if not parts:
        return prefix
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]
    return f"{prefix}{digest}"


@dataclass(slots=True)
class ConsentState:
    """The household's current, valid consent."""

    purposes: int
    domains: int
    valid_from: int
    valid_until: int
    """Day ordinal of the last valid day; 0 for open-ended."""
    intake_ref: str
    at: int
    """Event time (epoch seconds) of the consent record."""

    def valid_on(self, day: int) -> bool:
        """Whether the consent is valid on day ordinal ``day``."""
        return self.valid_from <= day and (self.valid_until == 0 or day <= self.valid_until)

    def allows(self, purpose: ConsentPurpose) -> bool:
        """Whether the household consented to ``purpose``."""
        return bool(self.purposes >> PURPOSES.index(purpose) & 1)


@dataclass(slots=True)
class SignalState:
    """An active signal of one domain."""

    domain: int
    """Index into ``tuple(Domain)``."""
    kind: str
    since: int
    seen: int
    """Event time (epoch seconds) the signal was last opened, updated or observed."""
    eviction: bool
    event_id: str
    """The full id (hex) of the partner's latest event on this signal, for feedback."""


@dataclass(slots=True)
class ProposalState:
    """The household's open proposal."""

    proposal_id: str
    rule: str
    domains: int
    at: int


@dataclass(slots=True)
class DecisionState:
    """The latest decided proposal and the cooldown it started."""

    proposal_id: str
    until: int
    """Day ordinal on which the cooldown ends."""
    domains: int


@dataclass(slots=True)
class Household:
    """Everything the hub keeps about one consenting household."""

    consent: ConsentState
    buurt: str | None = None
    latest: int = 0
    signals: dict[str, SignalState] = field(default_factory=dict)
    episode: int = 0
    open: ProposalState | None = None
    decided: DecisionState | None = None
    recent: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Ended:
    """All that is left of a household whose consent ended or was refused: when it ended.

    Kept until an event ``grace_days`` (event time) later arrives, so that an older consent
    record that arrives late cannot bring the household back. No consent, no signals.
    """

    at: int
    """Event time (epoch seconds) of the record that ended the consent."""


def encode_state(hh: Household | Ended) -> bytes:
    """The compact table value of a household (or of its end marker)."""
    if isinstance(hh, Ended):
        return f"[{_FORMAT},{hh.at}]".encode("ascii")
    c = hh.consent
    doc: list[Any] = [
        _FORMAT,
        [c.purposes, c.domains, c.valid_from, c.valid_until, c.intake_ref, c.at],
        hh.buurt or "",
        hh.latest,
        {k: [s.domain, s.kind, s.since, s.seen, int(s.eviction), s.event_id]
         for k, s in sorted(hh.signals.items())},
        hh.episode,
        [hh.open.proposal_id, hh.open.rule, hh.open.domains, hh.open.at] if hh.open else 0,
        [hh.decided.proposal_id, hh.decided.until, hh.decided.domains] if hh.decided else 0,
        hh.recent,
    ]  # fmt: skip
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode_state(raw: bytes) -> Household | Ended:
    """A household (or its end marker) from its table value (see :func:`encode_state`)."""
    doc = json.loads(raw)
    if len(doc) == 2 and doc[0] == _FORMAT:  # the end marker's form
        return Ended(int(doc[1]))
    fmt, c, buurt, latest, signals, episode, open_, decided, recent = doc
    if fmt != _FORMAT:
        raise ValueError(f"household state format {fmt} is not {_FORMAT}")
    return Household(
        consent=ConsentState(*c),
        buurt=buurt or None,
        latest=latest,
        signals={
            k: SignalState(d, kind, since, seen, bool(ev), eid)
            for k, (d, kind, since, seen, ev, eid) in signals.items()
        },
        episode=episode,
        open=ProposalState(*open_) if open_ else None,
        decided=DecisionState(*decided) if decided else None,
        recent=list(recent),
    )
