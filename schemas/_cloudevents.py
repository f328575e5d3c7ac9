"""CloudEvents 1.0 binary-mode Kafka headers, after the NL GOV profile for CloudEvents.

Headers carry no personal data: the id is a random or hash-derived UUID, the source names
the publishing organisation and system, the type names the domain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

__all__ = [
    "CONTENT_TYPE",
    "SPECVERSION",
    "Headers",
    "format_time",
    "header_map",
    "make_headers",
    "valid_source",
]

SPECVERSION = b"1.0"
CONTENT_TYPE = b"application/avro"
"""Avro binary, single-object encoded (the body starts with ``C3 01`` and the fingerprint)."""

Headers = Sequence[tuple[str, bytes]] | Mapping[str, bytes]

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


def valid_source(source: str) -> bool:
    """Whether ``source`` is an absolute URI (the profile asks ``urn:nld:...``)."""
    return len(source) <= 256 and _URI.fullmatch(source) is not None


def format_time(time: datetime) -> str:
    """RFC 3339 in UTC with microseconds and ``Z``, as CloudEvents asks."""
    return time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_headers(
    *, ce_id: str, source: bytes, ce_type: bytes, time: datetime, dataschema: bytes
) -> list[tuple[str, bytes]]:
    """The Kafka headers of one message, in the order the binding lists them."""
    return [
        ("ce_specversion", SPECVERSION),
        ("ce_id", ce_id.encode("ascii")),
        ("ce_source", source),
        ("ce_type", ce_type),
        ("ce_time", format_time(time).encode("ascii")),
        ("ce_dataschema", dataschema),
        ("content-type", CONTENT_TYPE),
    ]


def header_map(headers: Headers) -> tuple[dict[str, bytes], str | None]:
    """Headers as a dict, and the name of a header that appears twice (if any)."""
    if isinstance(headers, Mapping):
        return {k: bytes(v) for k, v in headers.items()}, None
    out: dict[str, bytes] = {}
    for key, value in headers:
        if key in out:
            return out, key
        out[key] = bytes(value) if value is not None else b""
    return out, None
