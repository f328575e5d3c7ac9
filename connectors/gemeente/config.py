"""Where the gemeente connector's sample mappings live."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLE_CONSENT_MAPPING", "SAMPLE_WORK_MAPPING"]

SAMPLE_WORK_MAPPING = Path(__file__).with_name("werk.toml")
"""Sample mapping of the work trajectories export (JSON Lines, snapshot)."""

SAMPLE_CONSENT_MAPPING = Path(__file__).with_name("toestemming.toml")
"""Sample mapping of the consent intake register (pipe CSV, delta)."""
