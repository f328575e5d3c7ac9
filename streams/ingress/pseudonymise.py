"""Pseudonymisation: turn one ingest message into a pseudonymised household event, or a dead letter.

Faust-free, so it is tested without a broker. The sealed identifier is opened in memory,
turned into ``hh_ref`` and dropped at once: it is never logged, stored or sent anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from schemas.codec import decode_message, encode
from schemas.errors import DecodeError
from schemas.models import ConsentRecord, HouseholdEvent
from streams.errors import HubError
from streams.ingress.keys import HubKeys, hh_ref, unseal
from streams.runtime.deadletters import DeadLetter, dead_letter
from streams.runtime.messages import Headers, Message

__all__ = ["CANONICAL_PREFIX", "Forward", "pseudonymise"]

CANONICAL_PREFIX = b"adr1|"
_INGEST = re.compile(r"\.ingest\.([a-z]+)\.v1$")


@dataclass(frozen=True, slots=True)
class Forward:
    """A household event to publish, keyed by ``hh_ref``."""

    key: bytes
    value: bytes
    headers: Headers
    consent: bool


def pseudonymise(message: Message, keys: HubKeys, *, ce_source: str) -> Forward | DeadLetter:
    """Decode, validate and pseudonymise one ingest message."""
    where = f"topic {message.topic} partition {message.partition} offset {message.offset}"
    try:
        record = decode_message(message)
    except DecodeError as exc:
        return dead_letter(message, exc.reason)
    found = _INGEST.search(message.topic)
    consent = isinstance(record, ConsentRecord)  # never dead-lettered, on whatever topic
    domain = "consent" if consent else getattr(record, "domain", None)
    domain = getattr(domain, "value", domain)
    if domain is None or (found is not None and domain != found[1]):
        reason = f"a {type(record).__name__} does not belong on {where}"
        return dead_letter(message, reason, consent=consent)
    try:
        canonical = unseal(keys.private_key, record.sealed_subject)
    except HubError as exc:  # the key module's error: not sealed to this hub key
        return dead_letter(message, str(exc), consent=consent)
    if not canonical.startswith(CANONICAL_PREFIX):
        reason = "the sealed subject is not a canonical identifier (adr1|…)"
        return dead_letter(message, reason, consent=consent)
    ref = hh_ref(keys.pseudonym, canonical)
    del canonical  # the identifier goes no further than this line
    try:
        event = HouseholdEvent.from_ingest(record, hh_ref=ref)
    except ValidationError as exc:
        reason = f"cannot build the household event: {exc.error_count()} errors"
        return dead_letter(message, reason, consent=consent)
    encoded = encode(event, source=ce_source, time=event.occurred_at)
    return Forward(ref.encode("ascii"), encoded.value, encoded.headers, domain == "consent")
