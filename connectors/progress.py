"""A progress bar on a terminal only; nothing at all otherwise (logs stay clean)."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

__all__ = ["Progress"]


class Progress:
    """``tqdm`` when stderr is a terminal and ``enabled``; a no-op otherwise."""

    def __init__(self, total: int, description: str, *, enabled: bool = True) -> None:
        self._bar: Any = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm  # only where a terminal shows it

            self._bar = tqdm(total=total, desc=description, unit="msg", leave=False)

    @property
    def active(self) -> bool:
        """Whether a bar is shown (``update`` does something)."""
        return self._bar is not None

    def update(self, count: int = 1) -> None:
        """Advance by ``count``."""
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        """Remove the bar."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
