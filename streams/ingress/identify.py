"""Which household an unreadable consent record concerns, when the hub can still tell.

A consent record can fail for reasons that leave its sealed identifier intact: missing or
forged CloudEvents headers, a field that breaks its contract (an ``intake_ref`` off its
pattern), a record of another type on the consent topic. The hub then still knows whom it
concerns, and fails closed for exactly that household (docs/hub.md, "Poison records"). This
reads the Avro body with its writer schema only — no contract validation, no headers — takes
``sealed_subject`` and opens it like the ingress does. Pure; the identifier goes no further
than the pseudonym.
"""

from __future__ import annotations

from io import BytesIO

from fastavro import schemaless_reader

# the schema registry is the kernel's; only the wire layout (marker, fingerprint) is used here
from schemas._registry import MAGIC, registry
from streams.errors import HubError
from streams.ingress.keys import HubKeys, hh_ref, unseal
from streams.ingress.pseudonymise import CANONICAL_PREFIX

__all__ = ["household_of"]

_HEADER_LEN = 10
_SEALED_MAX = 512


def household_of(value: bytes | None, keys: HubKeys) -> str | None:  # noqa: PLR0911
    """The ``hh_ref`` of the household whose sealed identifier ``value`` carries, if any."""
    if value is None or len(value) <= _HEADER_LEN or value[:2] != MAGIC:
        return None
    found = registry().by_fingerprint.get(bytes(value[2:_HEADER_LEN]))
    if found is None:
        return None
    _entry, writer = found
    try:
        datum = schemaless_reader(BytesIO(value[_HEADER_LEN:]), writer.parsed, None)
    except Exception:  # fastavro raises many kinds on bad input; all mean "no"
        return None
    sealed = datum.get("sealed_subject") if isinstance(datum, dict) else None
    if not isinstance(sealed, bytes) or len(sealed) > _SEALED_MAX:
        return None
    try:
        canonical = unseal(keys.private_key, sealed)
    except HubError:
        return None
    if not canonical.startswith(CANONICAL_PREFIX):
        return None
    ref = hh_ref(keys.pseudonym, canonical)
    del canonical  # the identifier goes no further than this line
    return ref
