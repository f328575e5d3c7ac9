"""Where the corporation connector's sample mapping lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_MAPPING"]

SAMPLE_MAPPING = Path(__file__).with_name("huurachterstand.toml")
"""Sample mapping of a rent arrears list (semicolon CSV, Windows-1252, Dutch dates)."""
