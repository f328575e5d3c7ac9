"""``wijkhub`` sub-commands of the shared kernel."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add this package's sub-commands to the ``wijkhub`` parser."""
    _ = (sub, argparse)
