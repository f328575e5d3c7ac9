"""The catalogue topics the hub's stages read and write (names relative to the prefix).

One home for them, so that the stages, the lag reader and the tests agree. What each topic
holds, its key and retention are in the catalogue (:mod:`schemas.catalogue`).
"""

from __future__ import annotations

__all__ = [
    "AUDIT_TOPIC",
    "DEADLETTER_TOPIC",
    "DECISIONS_TOPIC",
    "HOUSEHOLD_TOPIC",
    "INGEST_DOMAINS",
    "INGEST_TOPICS",
    "PROPOSALS_TOPIC",
    "QUARANTINE_TOPIC",
]

INGEST_DOMAINS = ("wonen", "school", "werk", "consent")
INGEST_TOPICS = tuple(f"ingest.{d}.v1" for d in INGEST_DOMAINS)
"""What the ingress stage reads: the partners' ingest topics."""
HOUSEHOLD_TOPIC = "household-events.v1"
"""What the ingress writes and the household stage reads, keyed by ``hh_ref``."""
DECISIONS_TOPIC = "decisions.v1"
"""Coordinators' decisions, read by the household stage (co-partitioned with the above)."""
PROPOSALS_TOPIC = "proposals.v1"
"""Proposals and retractions, written by the household stage."""
DEADLETTER_TOPIC = "deadletter.v1"
"""What either stage cannot read, with the reason and where it was read."""
QUARANTINE_TOPIC = "quarantine.v1"
"""Parked records: consent the ingress cannot read, and what is held behind it
(:mod:`streams.quarantine`); read back by the ingress for re-drives."""
AUDIT_TOPIC = "audit.v1"
"""The NEN 7513 audit trail; the hub writes an entry for each release or discard of a parked
record."""
