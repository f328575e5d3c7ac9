"""structlog, configured once for every wijkhub process.

Logs carry pseudonyms at most. :func:`scrub` is the last processor before rendering: it
replaces anything that looks like a Dutch postcode (with or without house number), a BSN-like
nine-digit number, an e-mail address or a phone number, wherever it hides in the event.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from schemas.settings import LogSettings

__all__ = ["configure_logging", "get_logger", "scrub", "scrub_text"]

_PATTERNS = (
    # postcode, optionally followed by a house number and addition: 1234 AB 5-a, 1234ab
    re.compile(
        r"(?<![0-9A-Za-z])[1-9][0-9]{3} ?[A-Za-z]{2}(?![A-Za-z])"
        r"(?:[ ,;|-]*[0-9]{1,5}[ -]?[A-Za-z0-9]{0,4})?"
    ),
    re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])"),  # BSN-shaped
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail
    re.compile(r"(?<![0-9])(?:\+31|0)[ -]?[1-9](?:[ -]?[0-9]){8}(?![0-9])"),  # phone
)
_REDACTED = "[redacted]"
_configured = False


def scrub_text(text: str) -> str:
    """``text`` with every identifier-shaped part replaced by ``[redacted]``."""
    for pattern in _PATTERNS:
        text = pattern.sub(_REDACTED, text)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_value(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return value


def scrub(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: scrub identifier-shaped values from every field."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _scrub_value(value)
    return event_dict


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now (pytest's capture, a redirect), not at setup."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(file=_CurrentStderr())  # type: ignore[arg-type]


def configure_logging(settings: LogSettings | None = None, *, force: bool = False) -> None:
    """Configure structlog (and stdlib logging) once; later calls do nothing unless forced."""
    global _configured  # noqa: PLW0603 - configured once per process, by design
    if _configured and not force:
        return
    settings = settings or LogSettings()
    level = getattr(logging, settings.level.upper())
    fmt = settings.format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr, force=True)
    _configured = True


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name`` (the module)."""
    return structlog.get_logger(name)
