"""What a connector run did, and the line it prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RunSummary"]


@dataclass(slots=True)
class RunSummary:
    """What a run did; ``exit_code`` is 0 when every row was good, 3 when some were rejected."""

    read: int = 0
    valid: int = 0
    rejected: int = 0
    published: int = 0
    already_published: int = 0
    unchanged: int = 0
    held: int = 0
    """Rows of the previous snapshot left standing because their row was rejected this time."""
    changes: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    rejects_file: Path | None = None

    @property
    def exit_code(self) -> int:
        """0 success, 3 partial success (some rows rejected)."""
        return 3 if self.rejected else 0

    def line(self) -> str:
        """The human summary printed at the end of a run."""
        verb = "would publish" if self.dry_run else "published"
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items())) or "none"
        held = f", held {self.held}" if self.held else ""
        return (
            f"read {self.read}, valid {self.valid}, rejected {self.rejected}, "
            f"{verb} {self.published}, already published {self.already_published}, "
            f"unchanged {self.unchanged}{held} (changes: {kinds})"
        )
