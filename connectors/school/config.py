"""Where the school connector's sample mapping lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_MAPPING"]

SAMPLE_MAPPING = Path(__file__).with_name("verzuim.toml")
"""Sample mapping of an absence export (comma CSV, UTF-8 with BOM, ISO dates)."""
