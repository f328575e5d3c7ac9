"""Repeated log lines are rate-limited, with a count of what was held back (schemas._log_limit)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from schemas._log_limit import LogLimiter, RateLimitFilter, template
from schemas.logging import configure_logging, limit_handlers, log_limiter, scrub_text
from schemas.settings import LogSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def reports() -> list[tuple[object, int, float]]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock, reports: list[tuple[object, int, float]]) -> LogLimiter:
    return LogLimiter(3, 60.0, clock=clock, report=lambda k, n, w: reports.append((k, n, w)))


def test_a_kind_is_written_per_key_times_per_window_and_the_rest_counted(
    limiter: LogLimiter, clock: Clock, reports: list[tuple[object, int, float]]
) -> None:
    answers = [limiter.admit("boom") for _ in range(10)]
    assert answers == [(True, 0)] * 3 + [(False, 0)] * 7
    assert limiter.admit("other") == (True, 0)  # another kind has its own allowance
    clock.now += 61
    assert limiter.admit("boom") == (True, 7)  # the first line after says what was held back
    assert limiter.suppressed_total == 7
    assert reports == []


def test_a_kind_that_went_quiet_is_summed_up_once(
    limiter: LogLimiter, clock: Clock, reports: list[tuple[object, int, float]]
) -> None:
    for _ in range(5):
        limiter.admit("boom")
    clock.now += 30
    limiter.report()
    assert reports == []  # its window is still open
    clock.now += 31
    limiter.admit("unrelated")  # any later line reports what went quiet
    assert reports == [("boom", 2, 60.0)]
    limiter.report()
    assert reports == [("boom", 2, 60.0)]


def test_zero_turns_it_off(clock: Clock) -> None:
    limiter = LogLimiter(0, 60.0, clock=clock)
    assert all(limiter.admit("x") == (True, 0) for _ in range(1000))


def test_kinds_ignore_digits_and_are_bounded_in_number(
    clock: Clock, reports: list[tuple[object, int, float]]
) -> None:
    assert template("node 1 at 127.0.0.1:9092") == template("node 2 at 127.0.0.1:31092")
    limiter = LogLimiter(1, 60.0, max_kinds=2, clock=clock,
                         report=lambda k, n, w: reports.append((k, n, w)))  # fmt: skip
    limiter.admit("a")
    limiter.admit("a")  # one suppressed
    limiter.admit("b")
    limiter.admit("c")  # a third kind: the oldest is dropped, its count reported
    assert reports == [("a", 1, 60.0)]


def test_the_stdlib_filter_limits_and_annotates(limiter: LogLimiter, clock: Clock) -> None:
    from mode.utils.logging import ExtensionFormatter  # Faust's worker formats with this

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(ExtensionFormatter(stream=out, fmt="%(message)s"))
    handler.addFilter(RateLimitFilter(limiter))
    logger = logging.getLogger("aiokafka.test-limit")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        for node in range(50):
            logger.error("Unable connect to node with id %s: %s", node, "refused")
        logger.info("info lines are not limited")
        logger.info("info lines are not limited")
        clock.now += 61
        logger.error("Unable connect to node with id %s: %s", 1, "refused")
    finally:
        logger.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 + 2 + 1
    assert lines[-1].endswith("[47 similar lines suppressed in the 60 s before]")


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    configure_logging(LogSettings(format="json", level="info", rate_limit=2), force=True)
    yield
    configure_logging(LogSettings(format="json", level="info"), force=True)


@pytest.mark.usefixtures("configured")
def test_configured_structlog_and_handlers_are_limited(capsys: pytest.CaptureFixture[str]) -> None:
    before = log_limiter().suppressed_total
    for i in range(20):
        structlog.get_logger("t").error("batch loop failed", attempt=i)
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [e["attempt"] for e in events] == [0, 1]
    assert log_limiter().suppressed_total - before == 18
    # a framework that replaces the root handlers (Faust's worker) gets the filter again
    root = logging.getLogger()
    replaced = logging.StreamHandler(io.StringIO())
    saved = root.handlers[:]
    root.handlers[:] = [replaced]
    try:
        limit_handlers()
        limit_handlers()  # twice: one filter
        assert len(replaced.filters) == 1
    finally:
        root.handlers[:] = saved


@pytest.mark.parametrize(
    "text",
    [
        "wijkhub quarantine release 4e1ff52b-a108-56f3-8cde-cc123456789a",
        "hh_ref k1:" + "123456789" + "ab" * 27 + "c",
        "sha256 " + "0612345678" + "f" * 54,
    ],
)
def test_uuids_pseudonyms_and_digests_are_never_redacted(text: str) -> None:
    assert scrub_text(text) == text
    assert scrub_text(text + " bsn 123456782") == text + " bsn [redacted]"
