"""Conversions particular to school exports.

None beyond the SDK's: absence codes are a value map in the mapping file, and the pupil's
number becomes ``pupil_ref`` through the built-in ``opaque`` transform (a keyed hash with the
school's own secret), so no student number leaves the school.
"""

from __future__ import annotations

from connectors.convert import Transform

__all__ = ["TRANSFORMS"]

TRANSFORMS: dict[str, Transform] = {}
