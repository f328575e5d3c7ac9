"""structlog, configured once for every wijkhub process.

Logs carry pseudonyms at most. :func:`scrub` is the last processor before rendering: it
replaces anything that looks like a Dutch postcode (with or without house number), a BSN-like
nine-digit number, an e-mail address or a phone number, wherever it hides in the event.

Repeated warnings and errors are rate-limited (:mod:`schemas._log_limit`): at most
``WIJKHUB_LOG_RATE_LIMIT`` lines of one kind per ``WIJKHUB_LOG_RATE_WINDOW`` seconds, the rest
counted and reported. That holds for structlog and for the stdlib handlers this module
installs; a framework that installs its own handlers afterwards (Faust's worker, uvicorn)
gets the same filter with :func:`limit_handlers`.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from schemas._log_limit import LogLimiter, RateLimitFilter
from schemas.settings import LogSettings

__all__ = [
    "configure_logging",
    "get_logger",
    "limit_handlers",
    "log_limiter",
    "report_suppressed",
    "scrub",
    "scrub_text",
]

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
_KEEP = re.compile(
    # what logs may carry whole: a UUID (event, proposal, parked record id), a pseudonym
    # (<key id>:<64 hex>) or a SHA-256 digest; their digits are not a BSN or a phone number
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?:[a-z0-9][a-z0-9_-]{0,15}:)?[0-9a-f]{64})(?![0-9A-Za-z])"
)
_REDACTED = "[redacted]"
_configured = False
_limiter = LogLimiter(per_key=0)  # off until configure_logging reads the settings
_filter = RateLimitFilter(_limiter)


def scrub_text(text: str) -> str:
    """``text`` with every identifier-shaped part replaced by ``[redacted]`` (UUIDs,
    pseudonyms and SHA-256 digests are left whole)."""
    parts = _KEEP.split(text)
    kept = _KEEP.findall(text)
    out = [_scrub_part(parts[0])]
    for whole, part in zip(kept, parts[1:], strict=True):
        out += [whole, _scrub_part(part)]
    return "".join(out)


def _scrub_part(text: str) -> str:
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
    _limiter.per_key, _limiter.window = settings.rate_limit, settings.rate_window
    shared: list[Any] = [
        _limiter.processor,
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
    limit_handlers()
    _configured = True


def limit_handlers(logger: logging.Logger | None = None) -> None:
    """Rate-limit every handler of ``logger`` (the root by default); safe to call again.

    Call it after a framework replaced the handlers configure_logging installed.
    """
    for handler in (logger or logging.getLogger()).handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)


def log_limiter() -> LogLimiter:
    """The process's log rate limiter (its ``suppressed_total`` counts what it held back)."""
    return _limiter


def report_suppressed() -> None:
    """Write the ``log lines suppressed`` summary of every kind that went quiet, now."""
    _limiter.report()


def get_logger(name: str) -> Any:
    """A structlog logger bound to ``name`` (the module)."""
    return structlog.get_logger(name)
