"""Conversions particular to gemeente exports.

None beyond the SDK's: kinds, consent statuses, purposes and domains are value maps in the
mapping files.
"""

from __future__ import annotations

from connectors.convert import Transform

__all__ = ["TRANSFORMS"]

TRANSFORMS: dict[str, Transform] = {}
